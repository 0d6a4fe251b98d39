//! Reading the audit trail.

use super::TenantIam;
use crate::audit::{AuditEvent, AuditFilter};
use crate::error::{IamError, ValidationErrors};
use crate::paging::{CursorPage, CursorRequest, encode_cursor};
use crate::store::{Kind, ScanRange};

/// How many events a filtered audit listing reads per store scan.
const AUDIT_SCAN_CHUNK: usize = 512;

impl TenantIam {
    /// Returns a page of audit events, newest first, filtered exactly by the given fields.
    ///
    /// # Errors
    ///
    /// [`IamError::Validation`] for a cursor this store did not produce.
    pub async fn list_audit(
        &self,
        filter: &AuditFilter,
        request: &CursorRequest,
    ) -> Result<CursorPage<AuditEvent>, IamError> {
        let page_size = request.page_size as usize;
        let mut before = match request.position()? {
            Some(position) if position.parse::<u64>().is_ok() => Some(position),
            Some(position) => {
                return Err(ValidationErrors::single(
                    "cursor",
                    format!("cursor position `{position}` is invalid"),
                )
                .into());
            }
            None => None,
        };
        let mut items = Vec::new();
        let mut last_id;
        'scan: loop {
            let mut range = ScanRange::all(self.namespace(), Kind::AUDIT)
                .reversed()
                .limit(AUDIT_SCAN_CHUNK);
            range.after = before.clone();
            let chunk = self.reader().scan::<AuditEvent>(&range).await?;
            let exhausted = chunk.len() < AUDIT_SCAN_CHUNK;
            for (id, event, _) in chunk {
                before = Some(id.clone());
                let matches = filter
                    .actor
                    .as_ref()
                    .is_none_or(|actor| &event.actor == actor)
                    && filter
                        .target
                        .as_ref()
                        .is_none_or(|target| &event.target == target)
                    && filter
                        .operation
                        .as_ref()
                        .is_none_or(|operation| &event.operation == operation);
                if !matches {
                    continue;
                }
                items.push(event);
                last_id = Some(id);
                if items.len() == page_size {
                    break 'scan;
                }
            }
            if exhausted {
                last_id = None;
                break;
            }
        }
        Ok(CursorPage {
            next_cursor: last_id.map(|id| encode_cursor(&id)),
            items,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::iam::audit_store_id;

    #[test]
    fn audit_ids_sort_numerically() {
        assert!(audit_store_id(9) < audit_store_id(10));
        assert!(audit_store_id(99_999) < audit_store_id(100_000));
    }
}
