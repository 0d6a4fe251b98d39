//! Record keys: namespace, kind and id.

use std::fmt;

use uuid::Uuid;

use crate::id::TenantId;

/// The namespace a record lives in: one tenant's, or the installation-wide one that holds
/// tenants themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Namespace {
    /// Installation-wide records (tenants and their unique names).
    Global,
    /// The records of one tenant.
    Tenant(TenantId),
}

impl Namespace {
    /// Returns the namespace as 16 bytes: the tenant's UUID, or the nil UUID for
    /// [`Namespace::Global`]. Tenant ids are random (version 4) UUIDs, so they are never nil.
    pub fn to_bytes(self) -> [u8; 16] {
        match self {
            Namespace::Global => *Uuid::nil().as_bytes(),
            Namespace::Tenant(tenant) => *tenant.as_uuid().as_bytes(),
        }
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Namespace::Global => f.write_str("global"),
            Namespace::Tenant(tenant) => write!(f, "tenant {tenant}"),
        }
    }
}

/// The type of a record. Backends store the name and need not know the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kind(&'static str);

impl Kind {
    /// Tenants, by tenant id (global namespace).
    pub const TENANT: Kind = Kind("tenant");
    /// Unique tenant names, by folded name (global namespace).
    pub const TENANT_NAME: Kind = Kind("tenant_name");
    /// Users, by user id.
    pub const USER: Kind = Kind("user");
    /// Unique user e-mail addresses, by folded address.
    pub const USER_EMAIL: Kind = Kind("user_email");
    /// Unique user names, by folded name.
    pub const USER_NAME: Kind = Kind("user_name");
    /// OAuth clients, by client id.
    pub const CLIENT: Kind = Kind("client");
    /// Client secrets, by `<client id>/<secret number>`.
    pub const CLIENT_SECRET: Kind = Kind("client_secret");
    /// Groups, by group id.
    pub const GROUP: Kind = Kind("group");
    /// Unique group display names, by folded name.
    pub const GROUP_NAME: Kind = Kind("group_name");
    /// Direct memberships, by `<group subject>\0<member subject>`.
    pub const MEMBERSHIP: Kind = Kind("membership");
    /// The same memberships keyed the other way, by `<member subject>\0<group subject>`.
    pub const MEMBERSHIP_BY_MEMBER: Kind = Kind("membership_by_member");
    /// Policies, by `<subject>\0<scope>\0<action>`.
    pub const POLICY: Kind = Kind("policy");
    /// Tenant roles, by role id.
    pub const ROLE: Kind = Kind("role");
    /// Unique role names, by folded name.
    pub const ROLE_NAME: Kind = Kind("role_name");
    /// Role assignments, by `<subject>\0<role id>`.
    pub const ROLE_ASSIGNMENT: Kind = Kind("role_assignment");
    /// The same assignments keyed the other way, by `<role id>\0<subject>`.
    pub const ROLE_ASSIGNMENT_BY_ROLE: Kind = Kind("role_assignment_by_role");
    /// Tenant-defined OAuth scopes, by scope name.
    pub const OAUTH_SCOPE: Kind = Kind("oauth_scope");
    /// Which clients allow a scope, by `<scope name>\0<client id>`.
    pub const OAUTH_SCOPE_CLIENT: Kind = Kind("oauth_scope_client");
    /// Counters that hand out numeric ids, by counter name.
    pub const SEQUENCE: Kind = Kind("sequence");
    /// Audit events, by zero-padded sequence number.
    pub const AUDIT: Kind = Kind("audit");
    /// Registered domains, by normalised domain name.
    pub const DOMAIN: Kind = Kind("domain");
    /// Which tenant confirmed a domain, by normalised domain name (global namespace).
    pub const DOMAIN_CONFIRMED: Kind = Kind("domain_confirmed");
    /// SSO identity providers, by zero-padded provider id.
    pub const SSO_PROVIDER: Kind = Kind("sso_provider");
    /// Unique SSO provider schemes, by folded scheme.
    pub const SSO_SCHEME: Kind = Kind("sso_scheme");
    /// SCIM tokens, by token id.
    pub const SCIM_TOKEN: Kind = Kind("scim_token");
    /// SCIM tokens by the hex SHA-256 digest of the token.
    pub const SCIM_TOKEN_DIGEST: Kind = Kind("scim_token_digest");
    /// Which SCIM tokens name a provider scheme, by `<folded scheme>\0<token id>`.
    pub const SCIM_TOKEN_BY_SCHEME: Kind = Kind("scim_token_by_scheme");
    /// Invitations, by invitation id.
    pub const INVITATION: Kind = Kind("invitation");
    /// Pending invitations by the hex SHA-256 digest of their token (global namespace,
    /// because the invitee presents the token without naming a tenant).
    pub const INVITATION_DIGEST: Kind = Kind("invitation_digest");
    /// User claims, by `<user id>/<zero-padded claim id>`.
    pub const USER_CLAIM: Kind = Kind("user_claim");

    /// Creates a kind with a custom name, for backend tests and extensions. Names are
    /// 1 to 64 bytes of `[a-z0-9_]`; the conformance suite relies on nothing else.
    pub const fn custom(name: &'static str) -> Kind {
        Kind(name)
    }

    /// Returns the kind's stored name.
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// The full address of a record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordKey {
    /// The namespace.
    pub namespace: Namespace,
    /// The record type.
    pub kind: Kind,
    /// The id within namespace and kind.
    pub id: String,
}

impl RecordKey {
    /// Creates a key.
    pub fn new(namespace: Namespace, kind: Kind, id: impl Into<String>) -> Self {
        Self {
            namespace,
            kind,
            id: id.into(),
        }
    }
}

impl fmt::Display for RecordKey {
    // Ids may contain NUL separators, which are shown as `|`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}",
            self.namespace,
            self.kind,
            self.id.replace('\0', "|")
        )
    }
}
