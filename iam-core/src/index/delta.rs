//! Turning committed batches and stored records into index changes.

use serde::Deserialize;

use super::TenantIndex;
use crate::action::{ActionCatalog, ActionName};
use crate::error::IamError;
use crate::id::{ClientId, GroupId, SubjectId, TenantId, UserId};
use crate::scope::ResourceScope;
use crate::store::{Kind, Namespace, RecordKey, ScanRange, Store, WriteBatch, WriteOp};

/// How many records loading reads per store scan, to bound memory while loading.
const LOAD_CHUNK: usize = 10_000;

/// One change to a tenant's index.
#[derive(Debug, Clone)]
pub(crate) enum IndexOp {
    SubjectPut {
        subject: SubjectId,
        active: bool,
    },
    SubjectDelete {
        subject: SubjectId,
    },
    MembershipPut {
        group: SubjectId,
        member: SubjectId,
    },
    MembershipDelete {
        group: SubjectId,
        member: SubjectId,
    },
    PolicyPut {
        subject: SubjectId,
        action: ActionName,
        scope: ResourceScope,
    },
    PolicyDelete {
        subject: SubjectId,
        action: ActionName,
        scope: ResourceScope,
    },
}

/// The part of a stored user that the index needs.
#[derive(Deserialize)]
struct UserActivity {
    active: bool,
}

/// Returns the index changes that `batch` makes in `tenant`'s namespace.
///
/// # Errors
///
/// [`IamError::Corrupt`] when a record the index needs can't be decoded.
pub(crate) fn delta_from_batch(
    tenant: TenantId,
    batch: &WriteBatch,
) -> Result<Vec<IndexOp>, IamError> {
    let mut ops = Vec::new();
    for op in batch.ops() {
        let key = op.key();
        if key.namespace != Namespace::Tenant(tenant) {
            continue;
        }
        let body = match op {
            WriteOp::Put { body, .. } => Some(body.as_slice()),
            WriteOp::Delete { .. } => None,
        };
        if let Some(index_op) = index_op(key, body)? {
            ops.push(index_op);
        }
    }
    Ok(ops)
}

/// Maps one record change to an index change; records the index ignores give `None`.
fn index_op(key: &RecordKey, body: Option<&[u8]>) -> Result<Option<IndexOp>, IamError> {
    let corrupt = |problem: &str| IamError::Corrupt {
        key: key.clone(),
        source: serde::de::Error::custom(problem),
    };
    let subject = match key.kind {
        Kind::USER => key.id.parse::<UserId>().ok().map(SubjectId::User),
        Kind::CLIENT => key.id.parse::<ClientId>().ok().map(SubjectId::Client),
        Kind::GROUP => key.id.parse::<GroupId>().ok().map(SubjectId::Group),
        _ => None,
    };
    if matches!(key.kind, Kind::USER | Kind::CLIENT | Kind::GROUP) {
        let subject = subject.ok_or_else(|| corrupt("the id is not a UUID"))?;
        return Ok(Some(match body {
            None => IndexOp::SubjectDelete { subject },
            Some(body) if key.kind == Kind::USER => {
                let user: UserActivity =
                    serde_json::from_slice(body).map_err(|source| IamError::Corrupt {
                        key: key.clone(),
                        source,
                    })?;
                IndexOp::SubjectPut {
                    subject,
                    active: user.active,
                }
            }
            Some(_) => IndexOp::SubjectPut {
                subject,
                active: true,
            },
        }));
    }
    match key.kind {
        Kind::MEMBERSHIP => {
            let (group, member) = key
                .id
                .split_once('\0')
                .and_then(|(group, member)| Some((group.parse().ok()?, member.parse().ok()?)))
                .ok_or_else(|| corrupt("the membership id is not `<group>\\0<member>`"))?;
            Ok(Some(match body {
                Some(_) => IndexOp::MembershipPut { group, member },
                None => IndexOp::MembershipDelete { group, member },
            }))
        }
        Kind::POLICY => {
            let (subject, scope, action) = parse_policy_id(&key.id)
                .ok_or_else(|| corrupt("the policy id is not `<subject>\\0<scope>\\0<action>`"))?;
            Ok(Some(match body {
                Some(_) => IndexOp::PolicyPut {
                    subject,
                    action,
                    scope,
                },
                None => IndexOp::PolicyDelete {
                    subject,
                    action,
                    scope,
                },
            }))
        }
        _ => Ok(None),
    }
}

fn parse_policy_id(id: &str) -> Option<(SubjectId, ResourceScope, ActionName)> {
    let mut parts = id.split('\0');
    let subject = parts.next()?.parse().ok()?;
    let scope = ResourceScope::try_from(parts.next()?.to_owned()).ok()?;
    let action = ActionName::try_from(parts.next()?.to_owned()).ok()?;
    parts.next().is_none().then_some((subject, scope, action))
}

/// Loads a tenant's index from the store, reading in bounded chunks.
///
/// # Errors
///
/// [`IamError::Store`] when the store fails, [`IamError::Corrupt`] for an undecodable
/// record.
pub(crate) async fn load_tenant(
    store: &dyn Store,
    catalog: &ActionCatalog,
    tenant: TenantId,
) -> Result<TenantIndex, IamError> {
    let namespace = Namespace::Tenant(tenant);
    let mut index = TenantIndex::default();
    for kind in [
        Kind::USER,
        Kind::CLIENT,
        Kind::GROUP,
        Kind::MEMBERSHIP,
        Kind::POLICY,
    ] {
        let mut after: Option<String> = None;
        loop {
            let mut range = ScanRange::all(namespace, kind).limit(LOAD_CHUNK);
            range.after = after.take();
            let records = store.scan(&range).await?;
            let exhausted = records.len() < LOAD_CHUNK;
            let mut ops = Vec::with_capacity(records.len());
            for record in &records {
                let key = RecordKey::new(namespace, kind, record.id.clone());
                if let Some(op) = index_op(&key, Some(&record.body))? {
                    ops.push(op);
                }
            }
            after = records.last().map(|record| record.id.clone());
            index.apply_loaded(catalog, ops);
            if exhausted {
                break;
            }
        }
    }
    index.finish_load();
    Ok(index)
}
