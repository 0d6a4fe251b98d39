//! The `Iam` facade: every library operation, with validation, uniqueness, cascades and
//! an audit event per change, over any [`Store`].
//!
//! Writes through one `Iam` are serialised by an async mutex: each write reads what it
//! needs, checks its rules and commits one atomic batch (the change plus its audit event)
//! while holding it. Every batch also states what it expects of the records it replaces
//! (versions, absence), so a write that races another process or another `Iam` on the
//! same store fails with a conflict instead of overwriting.

mod audit;
mod claims;
mod clients;
mod domains;
mod groups;
mod invitations;
mod policies;
mod roles;
mod scim;
mod scopes;
mod sso;
mod subjects;
mod tenants;
mod users;

use std::sync::Arc;

use futures_util::lock::{Mutex, MutexGuard};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::action::ActionCatalog;
use crate::audit::{Actor, AuditEvent};
use crate::clock::{Clock, OsRandom, RandomSource, SystemClock};
use crate::error::IamError;
use crate::index::{PolicyIndex, delta_from_batch, load_tenant};
use crate::store::{
    CommitReceipt, Expect, Kind, Namespace, Record, RecordKey, ScanRange, Store, StoreError,
    WriteBatch,
};
use crate::tenant::Tenant;

pub use policies::PolicyIndexStats;
pub use tenants::TenantIam;

/// The library facade. Cheap to clone; clones share the store and the write lock.
#[derive(Debug, Clone)]
pub struct Iam {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<dyn Store>,
    catalog: Arc<ActionCatalog>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn RandomSource>,
    writes: Mutex<()>,
    index: PolicyIndex,
    settings: Settings,
}

/// Settings of the facade that are not services.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The prefix of domain verification tokens.
    pub domain_token_prefix: String,
    /// The key that encrypts SSO client secrets at rest, if configured.
    pub secret_key: Option<crate::cipher::SecretKey>,
    /// How long an invitation stays valid.
    pub invitation_lifetime: chrono::Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            domain_token_prefix: "iam-verify-".to_owned(),
            secret_key: None,
            invitation_lifetime: chrono::Duration::days(7),
        }
    }
}

/// Configures an [`Iam`].
#[derive(Debug)]
pub struct IamBuilder {
    store: Arc<dyn Store>,
    catalog: ActionCatalog,
    clock: Arc<dyn Clock>,
    random: Arc<dyn RandomSource>,
    settings: Settings,
}

impl IamBuilder {
    /// Sets the action catalogue (default: only the built-in `iam` actions).
    pub fn catalog(mut self, catalog: ActionCatalog) -> Self {
        self.catalog = catalog;
        self
    }

    /// Sets the clock (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Sets the random source (default: the operating system's).
    pub fn random(mut self, random: Arc<dyn RandomSource>) -> Self {
        self.random = random;
        self
    }

    /// Sets the prefix of domain verification tokens (default `iam-verify-`).
    pub fn domain_token_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.settings.domain_token_prefix = prefix.into();
        self
    }

    /// Sets the key that encrypts SSO client secrets at rest. Without it, providers can
    /// be stored only without a client secret.
    pub fn secret_key(mut self, key: crate::cipher::SecretKey) -> Self {
        self.settings.secret_key = Some(key);
        self
    }

    /// Sets how long an invitation stays valid (default 7 days).
    pub fn invitation_lifetime(mut self, lifetime: chrono::Duration) -> Self {
        self.settings.invitation_lifetime = lifetime;
        self
    }

    /// Builds the facade and loads the policy index of every tenant from the store.
    ///
    /// # Errors
    ///
    /// [`IamError::Store`] when the store fails, [`IamError::Corrupt`] for a record that
    /// can't be decoded.
    pub async fn open(self) -> Result<Iam, IamError> {
        let index = PolicyIndex::default();
        let global = Reader::new(self.store.as_ref(), Namespace::Global);
        let tenants = global
            .scan::<Tenant>(&ScanRange::all(Namespace::Global, Kind::TENANT))
            .await?;
        for (_, tenant, _) in tenants {
            let loaded = load_tenant(self.store.as_ref(), &self.catalog, tenant.id).await?;
            index.insert(tenant.id, loaded);
        }
        Ok(Iam {
            inner: Arc::new(Inner {
                store: self.store,
                catalog: Arc::new(self.catalog),
                clock: self.clock,
                random: self.random,
                writes: Mutex::new(()),
                index,
                settings: self.settings,
            }),
        })
    }
}

impl Iam {
    /// Starts configuring a facade over `store`.
    pub fn builder(store: Arc<dyn Store>) -> IamBuilder {
        IamBuilder {
            store,
            catalog: ActionCatalog::built_in(),
            clock: Arc::new(SystemClock),
            random: Arc::new(OsRandom),
            settings: Settings::default(),
        }
    }

    /// Opens a facade over `store` with the built-in catalogue, the system clock and the
    /// operating system's random source, loading the policy index.
    ///
    /// # Errors
    ///
    /// As [`IamBuilder::open`].
    pub async fn open(store: Arc<dyn Store>) -> Result<Self, IamError> {
        Self::builder(store).open().await
    }

    /// Returns the action catalogue.
    pub fn catalog(&self) -> &ActionCatalog {
        &self.inner.catalog
    }

    /// Returns the store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// Returns the random source, for hashing secrets with
    /// [`crate::secret::hash_secret`].
    pub fn random(&self) -> &dyn RandomSource {
        self.inner.random.as_ref()
    }

    /// Returns the clock.
    pub fn clock(&self) -> &dyn Clock {
        self.inner.clock.as_ref()
    }

    /// Returns the candidate tag of a client secret value for [`NewClientSecret::tag`],
    /// or `None` when no secret key is configured (then every verification tries every
    /// secret of the client).
    ///
    /// [`NewClientSecret::tag`]: crate::client::NewClientSecret::tag
    pub fn client_secret_tag(&self, value: &[u8]) -> Option<u8> {
        self.inner
            .settings
            .secret_key
            .as_ref()
            .map(|key| crate::secret::candidate_tag(key, value))
    }

    async fn lock_writes(&self) -> MutexGuard<'_, ()> {
        self.inner.writes.lock().await
    }
}

/// Reads and decodes records of one namespace.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    store: &'a dyn Store,
    namespace: Namespace,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(store: &'a dyn Store, namespace: Namespace) -> Self {
        Self { store, namespace }
    }

    pub(crate) fn key(&self, kind: Kind, id: impl Into<String>) -> RecordKey {
        RecordKey::new(self.namespace, kind, id)
    }

    /// Loads and decodes one record with its version.
    pub(crate) async fn load<T: DeserializeOwned>(
        &self,
        kind: Kind,
        id: &str,
    ) -> Result<Option<(T, u64)>, IamError> {
        let key = self.key(kind, id);
        match self.store.get(&key).await? {
            None => Ok(None),
            Some(record) => {
                let version = record.version;
                Ok(Some((decode(&key, &record)?, version)))
            }
        }
    }

    /// Returns true when the record exists.
    pub(crate) async fn exists(&self, kind: Kind, id: &str) -> Result<bool, IamError> {
        Ok(self.store.get(&self.key(kind, id)).await?.is_some())
    }

    /// Scans and decodes records.
    pub(crate) async fn scan<T: DeserializeOwned>(
        &self,
        range: &ScanRange,
    ) -> Result<Vec<(String, T, u64)>, IamError> {
        let records = self.store.scan(range).await?;
        records
            .into_iter()
            .map(|record| {
                let key = RecordKey::new(range.namespace, range.kind, record.id.clone());
                let value = decode(&key, &record)?;
                Ok((record.id, value, record.version))
            })
            .collect()
    }

    /// Returns the ids of the records whose id starts with `prefix`.
    pub(crate) async fn ids(&self, kind: Kind, prefix: &str) -> Result<Vec<String>, IamError> {
        let range = ScanRange::prefix(self.namespace, kind, prefix);
        Ok(self
            .store
            .scan(&range)
            .await?
            .into_iter()
            .map(|record| record.id)
            .collect())
    }
}

/// How many records a filtered listing reads per store scan.
const PAGE_SCAN_CHUNK: usize = 512;

impl Reader<'_> {
    /// Reads `range` in chunks and appends to `items` the records that `keep` accepts
    /// until `items` holds `page_size`. Returns the store id of the last item taken when
    /// the page filled up (the position to continue after), or `None` when the range ran
    /// out first.
    pub(crate) async fn fill_page<T: DeserializeOwned>(
        &self,
        mut range: ScanRange,
        items: &mut Vec<T>,
        page_size: usize,
        mut keep: impl FnMut(&T) -> bool,
    ) -> Result<Option<String>, IamError> {
        range.limit = Some(PAGE_SCAN_CHUNK);
        loop {
            let chunk = self.scan::<T>(&range).await?;
            let exhausted = chunk.len() < PAGE_SCAN_CHUNK;
            for (id, value, _) in chunk {
                if keep(&value) {
                    items.push(value);
                    if items.len() >= page_size {
                        return Ok(Some(id));
                    }
                }
                range.after = Some(id);
            }
            if exhausted {
                return Ok(None);
            }
        }
    }
}

fn decode<T: DeserializeOwned>(key: &RecordKey, record: &Record) -> Result<T, IamError> {
    serde_json::from_slice(&record.body).map_err(|source| IamError::Corrupt {
        key: key.clone(),
        source,
    })
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, IamError> {
    serde_json::to_vec(value).map_err(IamError::Encode)
}

/// The records one change writes, committed together with its audit event.
#[derive(Debug)]
pub(crate) struct Change {
    namespace: Namespace,
    batch: WriteBatch,
}

impl Change {
    pub(crate) fn new(namespace: Namespace) -> Self {
        Self {
            namespace,
            batch: WriteBatch::new(),
        }
    }

    fn key(&self, kind: Kind, id: impl Into<String>) -> RecordKey {
        RecordKey::new(self.namespace, kind, id)
    }

    /// Creates a record that must not exist yet.
    pub(crate) fn create<T: Serialize>(
        &mut self,
        kind: Kind,
        id: impl Into<String>,
        value: &T,
    ) -> Result<(), IamError> {
        let key = self.key(kind, id);
        self.batch.put(key, encode(value)?, Expect::Absent);
        Ok(())
    }

    /// Replaces a record that must still have `version`.
    pub(crate) fn replace<T: Serialize>(
        &mut self,
        kind: Kind,
        id: impl Into<String>,
        value: &T,
        version: u64,
    ) -> Result<(), IamError> {
        let key = self.key(kind, id);
        self.batch
            .put(key, encode(value)?, Expect::Version(version));
        Ok(())
    }

    /// Deletes a record that must exist.
    pub(crate) fn delete(&mut self, kind: Kind, id: impl Into<String>) {
        let key = self.key(kind, id);
        self.batch.delete(key, Expect::Present);
    }

    /// Deletes a record that must still have `version`.
    pub(crate) fn delete_version(&mut self, kind: Kind, id: impl Into<String>, version: u64) {
        let key = self.key(kind, id);
        self.batch.delete(key, Expect::Version(version));
    }

    /// Hands out the next number of the counter `name` in this change: reads the counter
    /// and adds its update to the batch. One change may draw from a counter only once.
    pub(crate) async fn next_number(
        &mut self,
        reader: &Reader<'_>,
        name: &str,
    ) -> Result<u64, IamError> {
        let current: Option<(u64, u64)> = reader.load(Kind::SEQUENCE, name).await?;
        let (next, expect) = match current {
            Some((last, version)) => (last + 1, Expect::Version(version)),
            None => (1, Expect::Absent),
        };
        let key = self.key(Kind::SEQUENCE, name);
        self.batch.put(key, encode(&next)?, expect);
        Ok(next)
    }
}

/// The operation, target and details that an audit event records about a change.
#[derive(Debug)]
pub(crate) struct AuditEntry {
    pub operation: &'static str,
    pub target: String,
    pub details: serde_json::Value,
}

impl AuditEntry {
    pub(crate) fn new(
        operation: &'static str,
        target: impl ToString,
        details: serde_json::Value,
    ) -> Self {
        Self {
            operation,
            target: target.to_string(),
            details,
        }
    }
}

/// The width of zero-padded audit ids, so that byte order is numeric order.
const AUDIT_ID_WIDTH: usize = 20;

pub(crate) fn audit_store_id(id: u64) -> String {
    format!("{id:0width$}", width = AUDIT_ID_WIDTH)
}

/// Adds the audit event to `change` and commits it. Must be called with the write lock.
pub(crate) async fn commit_with_audit(
    iam: &Iam,
    tenant: &Tenant,
    actor: &Actor,
    mut change: Change,
    entry: AuditEntry,
) -> Result<CommitReceipt, IamError> {
    let store = iam.inner.store.as_ref();
    let reader = Reader::new(store, Namespace::Tenant(tenant.id));
    let id = change.next_number(&reader, "audit").await?;
    let event = AuditEvent {
        id,
        time: iam.inner.clock.now(),
        tenant: tenant.id,
        actor: actor.to_string(),
        operation: entry.operation.to_owned(),
        target: entry.target,
        details: entry.details,
    };
    change.create(Kind::AUDIT, audit_store_id(id), &event)?;
    let index_ops = delta_from_batch(tenant.id, &change.batch)?;
    let receipt = store
        .commit(change.batch)
        .await
        .map_err(store_conflict_to_domain)?;
    // Still under the write lock, so index updates happen in commit order, and before the
    // write returns, so the caller's next check sees it.
    iam.inner
        .index
        .apply(&iam.inner.catalog, tenant.id, index_ops);
    Ok(receipt)
}

/// Turns a failed batch requirement into a domain error. The facade checks its rules
/// before committing, so these arise only when another writer changed the same records
/// in between.
fn store_conflict_to_domain(error: StoreError) -> IamError {
    match error {
        StoreError::AlreadyExists { key } => IamError::conflict(format!(
            "`{}` was created concurrently; retry the request",
            key.id.replace('\0', " ")
        )),
        StoreError::NotFound { key } => IamError::conflict(format!(
            "`{}` was removed concurrently; retry the request",
            key.id.replace('\0', " ")
        )),
        StoreError::Conflict {
            key,
            expected,
            actual,
        } => IamError::VersionMismatch {
            kind: key.kind.as_str(),
            id: key.id,
            expected,
            actual,
        },
        other => IamError::Store(other),
    }
}

/// Fails with [`IamError::VersionMismatch`] when `expected` is given and differs from
/// `actual`.
pub(crate) fn check_version(
    kind: &'static str,
    id: &str,
    actual: u64,
    expected: Option<u64>,
) -> Result<(), IamError> {
    match expected {
        Some(expected) if expected != actual => Err(IamError::VersionMismatch {
            kind,
            id: id.to_owned(),
            expected,
            actual,
        }),
        _ => Ok(()),
    }
}
