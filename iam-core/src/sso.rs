//! SSO identity providers: the OpenID Connect providers that users of a tenant sign in
//! with.
//!
//! A provider's type (`azuread`, `custom`, `google` or `signicat`) fixes the shape of its
//! properties, so each type has its own properties struct, and [`SsoProperties`] is the
//! enum over them. The structs deserialize from the API's camelCase JSON and reject
//! unknown fields, and fields that the API leaves optional get the defaults documented on
//! each field when they are missing.
//!
//! The client secret must be sent to the identity provider, so it is encrypted at rest
//! with the facade's secret key (see [`crate::cipher`]) instead of being hashed. It is an
//! input only: the properties never serialize it, the properties of a provider returned
//! by the facade never carry it, and [`SsoProvider::has_client_secret`] states whether
//! one is stored.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use subtle::ConstantTimeEq;

use crate::error::{IamError, ValidationErrors};
use crate::validate;

/// The maximum length of a scheme, in characters.
pub const MAX_SCHEME_LEN: usize = 64;
/// The maximum length of a display name, in characters.
pub const MAX_DISPLAY_NAME_LEN: usize = 200;
/// The maximum length of a client id, in characters.
pub const MAX_CLIENT_ID_LEN: usize = 256;
/// The maximum length of a client secret, in characters.
pub const MAX_CLIENT_SECRET_LEN: usize = 1024;
/// The maximum length of an authority URL, in characters.
pub const MAX_AUTHORITY_LEN: usize = 2048;
/// The maximum length of a scope list, in characters.
pub const MAX_SCOPE_LEN: usize = 1024;
/// The maximum length of a claim type, in characters.
pub const MAX_CLAIM_TYPE_LEN: usize = 256;

/// The authority of Google providers when none is given.
pub const GOOGLE_AUTHORITY: &str = "https://accounts.google.com";
/// The scopes requested when a provider type with a scope gets none.
pub const DEFAULT_SCOPE: &str = "openid profile email";
/// The scope that every OpenID Connect sign-in request must contain.
pub const OPENID_SCOPE: &str = "openid";

/// The type of an SSO provider, as named in the API path `/v1/sso/{type}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SsoProviderType {
    /// Microsoft Entra ID (Azure AD).
    AzureAd,
    /// Any OpenID Connect provider.
    Custom,
    /// Google.
    Google,
    /// Signicat, for national electronic identities.
    Signicat,
}

impl SsoProviderType {
    /// Every type, in API order.
    pub const ALL: [SsoProviderType; 4] = [
        SsoProviderType::AzureAd,
        SsoProviderType::Custom,
        SsoProviderType::Google,
        SsoProviderType::Signicat,
    ];

    /// Returns the type's API name, such as `azuread`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SsoProviderType::AzureAd => "azuread",
            SsoProviderType::Custom => "custom",
            SsoProviderType::Google => "google",
            SsoProviderType::Signicat => "signicat",
        }
    }

    /// Returns the type with API name `text` (exact, lowercase), or `None` for an
    /// unknown name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

impl fmt::Display for SsoProviderType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The sign-in protocol of an SSO provider, the API's `type` field of the provider
/// body. OpenID Connect is the only one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SsoProtocol {
    /// OpenID Connect.
    Oidc,
}

impl SsoProtocol {
    /// Returns the protocol's API name, `oidc`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SsoProtocol::Oidc => "oidc",
        }
    }
}

impl fmt::Display for SsoProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The OpenID Connect response type a provider is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OidcResponseType {
    /// An ID token directly from the authorization endpoint.
    IdToken,
    /// An authorization code, exchanged at the token endpoint (the default).
    #[default]
    Code,
    /// An access token directly from the authorization endpoint.
    Token,
    /// No token, only the redirect.
    None,
}

impl OidcResponseType {
    /// Returns the OAuth name, such as `id_token`.
    pub const fn as_str(self) -> &'static str {
        match self {
            OidcResponseType::IdToken => "id_token",
            OidcResponseType::Code => "code",
            OidcResponseType::Token => "token",
            OidcResponseType::None => "none",
        }
    }
}

/// The electronic identity a Signicat provider signs users in with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum SignicatMethod {
    /// No method named (the default).
    #[default]
    None,
    /// BankID.
    BankId,
    /// MitID, the Danish electronic identity.
    MitId,
    /// The method the API names `SBID`.
    #[serde(rename = "SBID")]
    Sbid,
}

impl SignicatMethod {
    /// Returns the API name, such as `BankId`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SignicatMethod::None => "None",
            SignicatMethod::BankId => "BankId",
            SignicatMethod::MitId => "MitId",
            SignicatMethod::Sbid => "SBID",
        }
    }
}

/// The client secret of an SSO provider as the caller gives it. `Debug` prints a
/// redaction marker, and equality compares in constant time so that a comparison does
/// not reveal through its duration how much of a guess matched. It deserializes from a
/// JSON string and never serializes.
#[derive(Clone)]
pub struct SsoClientSecret(String);

impl SsoClientSecret {
    /// Wraps a secret. The empty string is the update request to remove a stored secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Returns the secret text, to send it to the identity provider. Call sites that need
    /// it are easy to audit.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Returns true for the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SsoClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SsoClientSecret([REDACTED])")
    }
}

impl PartialEq for SsoClientSecret {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for SsoClientSecret {}

impl<'de> Deserialize<'de> for SsoClientSecret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // `deserialize_any` hands every JSON value to the visitor. With
        // `deserialize_string`, serde_json would reject a number itself, with an error
        // that quotes it.
        deserializer
            .deserialize_any(ClientSecretVisitor)
            .map(SsoClientSecret)
    }
}

/// Accepts only strings. Serde's default type errors quote the rejected value, so the
/// visit methods of the other scalar types are replaced by ones whose error does not
/// contain it.
struct ClientSecretVisitor;

impl serde::de::Visitor<'_> for ClientSecretVisitor {
    type Value = String;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("the client secret as a string")
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<String, E> {
        Ok(value.to_owned())
    }

    fn visit_string<E: serde::de::Error>(self, value: String) -> Result<String, E> {
        Ok(value)
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<String, E> {
        Err(E::custom(NOT_A_STRING))
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<String, E> {
        Err(E::custom(NOT_A_STRING))
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<String, E> {
        Err(E::custom(NOT_A_STRING))
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<String, E> {
        Err(E::custom(NOT_A_STRING))
    }
}

const NOT_A_STRING: &str = "`clientSecret` must be a string or null";

fn default_true() -> bool {
    true
}

fn default_scope() -> String {
    DEFAULT_SCOPE.to_owned()
}

fn default_google_authority() -> String {
    GOOGLE_AUTHORITY.to_owned()
}

fn default_name_claim_type() -> String {
    "name".to_owned()
}

fn default_email_claim_type() -> String {
    "email".to_owned()
}

fn default_phone_number_claim_type() -> String {
    "phone_number".to_owned()
}

fn default_subject_claim_type() -> String {
    "sub".to_owned()
}

/// The properties of an `azuread` provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AzureAdProperties {
    /// Whether users may sign in with the provider (required).
    pub login_enabled: bool,
    /// Whether the sign-in page shows the provider (required).
    pub visible: bool,
    /// Whether the provider may be used for delegation (required).
    pub delegation_enabled: bool,
    /// Whether unknown users are created at their first sign-in (required).
    pub auto_provisioning_enabled: bool,
    /// The client id registered at the provider (required): 1 to 256 characters.
    pub client_id: String,
    /// Input only, never serialized: `None` (missing or null) keeps a stored secret on
    /// update, an empty string removes it, any other value replaces it.
    #[serde(default, skip_serializing)]
    pub client_secret: Option<SsoClientSecret>,
    /// The issuer URL (required), such as
    /// `https://login.microsoftonline.com/{TenantId}/v2.0`.
    pub authority: String,
    /// Whether the code flow uses PKCE (default `true`).
    #[serde(default = "default_true")]
    pub use_pkce: bool,
    /// The response type (default `code`).
    #[serde(default)]
    pub response_type: OidcResponseType,
    /// The space-separated scopes, which must include `openid` (default
    /// `openid profile email`).
    #[serde(default = "default_scope")]
    pub scope: String,
}

/// The properties of a `custom` provider: any OpenID Connect provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CustomProperties {
    /// Whether users may sign in with the provider (required).
    pub login_enabled: bool,
    /// Whether the sign-in page shows the provider (required).
    pub visible: bool,
    /// Whether the provider may be used for delegation (required).
    pub delegation_enabled: bool,
    /// Whether unknown users are created at their first sign-in (required).
    pub auto_provisioning_enabled: bool,
    /// The client id registered at the provider (required): 1 to 256 characters.
    pub client_id: String,
    /// Input only, never serialized: `None` (missing or null) keeps a stored secret on
    /// update, an empty string removes it, any other value replaces it.
    #[serde(default, skip_serializing)]
    pub client_secret: Option<SsoClientSecret>,
    /// The issuer URL (required).
    pub authority: String,
    /// The space-separated scopes, which must include `openid` (default
    /// `openid profile email`).
    #[serde(default = "default_scope")]
    pub scope: String,
    /// Whether the code flow uses PKCE (default `true`).
    #[serde(default = "default_true")]
    pub use_pkce: bool,
    /// Whether identity verification at the provider is enabled (default `false`).
    #[serde(default)]
    pub verify_enabled: bool,
    /// Whether claims are read from the userinfo endpoint too (default `false`).
    #[serde(default)]
    pub get_claims_from_user_info_endpoint: bool,
    /// The response type (default `code`).
    #[serde(default)]
    pub response_type: OidcResponseType,
    /// The claim that contains the user's name (default `name`).
    #[serde(default = "default_name_claim_type")]
    pub name_claim_type: String,
    /// The claim that contains the e-mail address (default `email`).
    #[serde(default = "default_email_claim_type")]
    pub email_claim_type: String,
    /// The claim that contains the phone number (default `phone_number`).
    #[serde(default = "default_phone_number_claim_type")]
    pub phone_number_claim_type: String,
    /// The claim that identifies the user at the provider (default `sub`).
    #[serde(default = "default_subject_claim_type")]
    pub subject_claim_type: String,
}

/// The properties of a `google` provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GoogleProperties {
    /// Whether users may sign in with the provider (required).
    pub login_enabled: bool,
    /// Whether the sign-in page shows the provider (required).
    pub visible: bool,
    /// Whether the provider may be used for delegation (required).
    pub delegation_enabled: bool,
    /// Whether unknown users are created at their first sign-in (required).
    pub auto_provisioning_enabled: bool,
    /// The client id registered at Google (required): 1 to 256 characters.
    pub client_id: String,
    /// Input only, never serialized: `None` (missing or null) keeps a stored secret on
    /// update, an empty string removes it, any other value replaces it.
    #[serde(default, skip_serializing)]
    pub client_secret: Option<SsoClientSecret>,
    /// The issuer URL (default `https://accounts.google.com`).
    #[serde(default = "default_google_authority")]
    pub authority: String,
    /// The space-separated scopes, which must include `openid` (default
    /// `openid profile email`).
    #[serde(default = "default_scope")]
    pub scope: String,
    /// Whether the code flow uses PKCE (default `true`).
    #[serde(default = "default_true")]
    pub use_pkce: bool,
    /// The claim that contains the user's name (default `name`).
    #[serde(default = "default_name_claim_type")]
    pub name_claim_type: String,
    /// The claim that contains the e-mail address (default `email`).
    #[serde(default = "default_email_claim_type")]
    pub email_claim_type: String,
    /// The claim that contains the phone number (default `phone_number`).
    #[serde(default = "default_phone_number_claim_type")]
    pub phone_number_claim_type: String,
    /// The claim that identifies the user at Google (default `sub`).
    #[serde(default = "default_subject_claim_type")]
    pub subject_claim_type: String,
}

/// The properties of a `signicat` provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignicatProperties {
    /// Whether users may sign in with the provider (required).
    pub login_enabled: bool,
    /// Whether the sign-in page shows the provider (required).
    pub visible: bool,
    /// Whether the provider may be used for delegation (required).
    pub delegation_enabled: bool,
    /// Whether unknown users are created at their first sign-in (required).
    pub auto_provisioning_enabled: bool,
    /// The client id registered at Signicat (required): 1 to 256 characters.
    pub client_id: String,
    /// Input only, never serialized: `None` (missing or null) keeps a stored secret on
    /// update, an empty string removes it, any other value replaces it.
    #[serde(default, skip_serializing)]
    pub client_secret: Option<SsoClientSecret>,
    /// The issuer URL (required), such as `https://yourorg.signicat.com/auth/open`.
    pub authority: String,
    /// Whether identity verification at Signicat is enabled (default `false`).
    #[serde(default)]
    pub verify_enabled: bool,
    /// The electronic identity used (default `None`).
    #[serde(default)]
    pub method: SignicatMethod,
}

/// The properties of a provider, one variant per [`SsoProviderType`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SsoProperties {
    /// An `azuread` provider.
    AzureAd(AzureAdProperties),
    /// A `custom` provider.
    Custom(CustomProperties),
    /// A `google` provider.
    Google(GoogleProperties),
    /// A `signicat` provider.
    Signicat(SignicatProperties),
}

impl From<AzureAdProperties> for SsoProperties {
    fn from(properties: AzureAdProperties) -> Self {
        SsoProperties::AzureAd(properties)
    }
}

impl From<CustomProperties> for SsoProperties {
    fn from(properties: CustomProperties) -> Self {
        SsoProperties::Custom(properties)
    }
}

impl From<GoogleProperties> for SsoProperties {
    fn from(properties: GoogleProperties) -> Self {
        SsoProperties::Google(properties)
    }
}

impl From<SignicatProperties> for SsoProperties {
    fn from(properties: SignicatProperties) -> Self {
        SsoProperties::Signicat(properties)
    }
}

impl SsoProperties {
    /// Deserializes the API's `properties` object of a provider of `provider_type`,
    /// applying the defaults of missing optional fields.
    ///
    /// # Errors
    ///
    /// [`IamError::Validation`] on field `properties` for an unknown or missing field, a
    /// value of the wrong JSON type, or an unknown `responseType` or `method`. The
    /// message never contains the client secret.
    pub fn from_json(
        provider_type: SsoProviderType,
        value: serde_json::Value,
    ) -> Result<Self, IamError> {
        let parsed = match provider_type {
            SsoProviderType::AzureAd => serde_json::from_value(value).map(SsoProperties::AzureAd),
            SsoProviderType::Custom => serde_json::from_value(value).map(SsoProperties::Custom),
            SsoProviderType::Google => serde_json::from_value(value).map(SsoProperties::Google),
            SsoProviderType::Signicat => serde_json::from_value(value).map(SsoProperties::Signicat),
        };
        parsed.map_err(|error| {
            ValidationErrors::single(
                "properties",
                format!("invalid `{provider_type}` properties: {error}"),
            )
            .into()
        })
    }

    /// Returns the provider type these properties belong to.
    pub fn provider_type(&self) -> SsoProviderType {
        match self {
            SsoProperties::AzureAd(_) => SsoProviderType::AzureAd,
            SsoProperties::Custom(_) => SsoProviderType::Custom,
            SsoProperties::Google(_) => SsoProviderType::Google,
            SsoProperties::Signicat(_) => SsoProviderType::Signicat,
        }
    }

    /// Returns the client id registered at the provider.
    pub fn client_id(&self) -> &str {
        match self {
            SsoProperties::AzureAd(properties) => &properties.client_id,
            SsoProperties::Custom(properties) => &properties.client_id,
            SsoProperties::Google(properties) => &properties.client_id,
            SsoProperties::Signicat(properties) => &properties.client_id,
        }
    }

    /// Returns the issuer URL.
    pub fn authority(&self) -> &str {
        match self {
            SsoProperties::AzureAd(properties) => &properties.authority,
            SsoProperties::Custom(properties) => &properties.authority,
            SsoProperties::Google(properties) => &properties.authority,
            SsoProperties::Signicat(properties) => &properties.authority,
        }
    }

    /// Returns the client secret of an input, if one was given.
    pub fn client_secret(&self) -> Option<&SsoClientSecret> {
        self.client_secret_slot().as_ref()
    }

    /// Removes the client secret of an input and returns it.
    pub fn take_client_secret(&mut self) -> Option<SsoClientSecret> {
        self.client_secret_slot_mut().take()
    }

    /// Returns the properties as the API's JSON object, without the client secret.
    ///
    /// # Errors
    ///
    /// [`IamError::Encode`] when serialization fails, which these plain structs of
    /// strings, booleans and unit enums do not do.
    pub fn to_json(&self) -> Result<serde_json::Value, IamError> {
        let value = match self {
            SsoProperties::AzureAd(properties) => serde_json::to_value(properties),
            SsoProperties::Custom(properties) => serde_json::to_value(properties),
            SsoProperties::Google(properties) => serde_json::to_value(properties),
            SsoProperties::Signicat(properties) => serde_json::to_value(properties),
        };
        value.map_err(IamError::Encode)
    }

    fn client_secret_slot(&self) -> &Option<SsoClientSecret> {
        match self {
            SsoProperties::AzureAd(properties) => &properties.client_secret,
            SsoProperties::Custom(properties) => &properties.client_secret,
            SsoProperties::Google(properties) => &properties.client_secret,
            SsoProperties::Signicat(properties) => &properties.client_secret,
        }
    }

    fn client_secret_slot_mut(&mut self) -> &mut Option<SsoClientSecret> {
        match self {
            SsoProperties::AzureAd(properties) => &mut properties.client_secret,
            SsoProperties::Custom(properties) => &mut properties.client_secret,
            SsoProperties::Google(properties) => &mut properties.client_secret,
            SsoProperties::Signicat(properties) => &mut properties.client_secret,
        }
    }

    /// Adds a message for each invalid property, named `properties.<field>`.
    fn validate(&self, errors: &mut ValidationErrors) {
        validate::name(
            errors,
            "properties.clientId",
            self.client_id(),
            MAX_CLIENT_ID_LEN,
        );
        if let Some(secret) = self.client_secret() {
            validate_client_secret(errors, secret);
        }
        validate_authority(errors, "properties.authority", self.authority());
        match self {
            SsoProperties::AzureAd(properties) => {
                validate_scope(errors, "properties.scope", &properties.scope);
            }
            SsoProperties::Custom(properties) => {
                validate_scope(errors, "properties.scope", &properties.scope);
                validate_claim_types(
                    errors,
                    [
                        ("nameClaimType", &properties.name_claim_type),
                        ("emailClaimType", &properties.email_claim_type),
                        ("phoneNumberClaimType", &properties.phone_number_claim_type),
                        ("subjectClaimType", &properties.subject_claim_type),
                    ],
                );
            }
            SsoProperties::Google(properties) => {
                validate_scope(errors, "properties.scope", &properties.scope);
                validate_claim_types(
                    errors,
                    [
                        ("nameClaimType", &properties.name_claim_type),
                        ("emailClaimType", &properties.email_claim_type),
                        ("phoneNumberClaimType", &properties.phone_number_claim_type),
                        ("subjectClaimType", &properties.subject_claim_type),
                    ],
                );
            }
            SsoProperties::Signicat(_) => {}
        }
    }
}

/// The input of provider creation and update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoProviderInput {
    /// The name sign-in requests use for the provider: 1 to 64 of `[A-Za-z0-9_-]`,
    /// unique in the tenant case-insensitively.
    pub scheme: String,
    /// The name shown to users: 1 to 200 characters.
    pub display_name: String,
    /// Whether the provider is in use.
    pub enabled: bool,
    /// The protocol, the API's `type` field of the provider body: must be `oidc`.
    pub protocol: String,
    /// The properties of the provider's type, with the client secret as an input.
    pub properties: SsoProperties,
}

impl SsoProviderInput {
    /// Checks every field for a provider of `provider_type`.
    ///
    /// # Errors
    ///
    /// [`IamError::Validation`] naming each invalid field as the API spells it, such as
    /// `scheme`, `type` or `properties.scope`.
    pub fn validate(&self, provider_type: SsoProviderType) -> Result<(), IamError> {
        let mut errors = ValidationErrors::new();
        validate_scheme(&mut errors, &self.scheme);
        validate::name(
            &mut errors,
            "displayName",
            &self.display_name,
            MAX_DISPLAY_NAME_LEN,
        );
        if self.protocol != SsoProtocol::Oidc.as_str() {
            errors.add(
                "type",
                format!("unknown protocol `{}`; expected `oidc`", self.protocol),
            );
        }
        let properties_type = self.properties.provider_type();
        if properties_type != provider_type {
            errors.add(
                "properties",
                format!(
                    "the properties are those of a `{properties_type}` provider, not of a `{provider_type}` provider"
                ),
            );
        }
        self.properties.validate(&mut errors);
        errors.into_result()
    }
}

/// An SSO provider as the facade returns it. Its properties never carry the client
/// secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoProvider {
    /// The provider's id: a positive number, counting up in the tenant.
    pub id: u64,
    /// The name sign-in requests use, unique in the tenant case-insensitively.
    pub scheme: String,
    /// The name shown to users.
    pub display_name: String,
    /// Whether the provider is in use.
    pub enabled: bool,
    /// The sign-in protocol.
    pub protocol: SsoProtocol,
    /// The properties of the provider's type.
    pub properties: SsoProperties,
    /// Whether a client secret is stored.
    pub has_client_secret: bool,
    /// When the provider was created.
    pub created: DateTime<Utc>,
    /// The stored version, for optimistic concurrency.
    pub version: u64,
}

impl SsoProvider {
    /// Returns the provider's type.
    pub fn provider_type(&self) -> SsoProviderType {
        self.properties.provider_type()
    }

    /// Returns the API's `properties` object: the properties of the type plus
    /// `hasClientSecret`, never the secret itself.
    ///
    /// # Errors
    ///
    /// As [`SsoProperties::to_json`].
    pub fn properties_json(&self) -> Result<serde_json::Value, IamError> {
        let mut value = self.properties.to_json()?;
        if let serde_json::Value::Object(object) = &mut value {
            object.insert(
                "hasClientSecret".to_owned(),
                serde_json::Value::Bool(self.has_client_secret),
            );
        }
        Ok(value)
    }
}

/// Checks a scheme: 1 to 64 characters of `[A-Za-z0-9_-]`.
fn validate_scheme(errors: &mut ValidationErrors, scheme: &str) {
    let length = scheme.chars().count();
    if length == 0 || length > MAX_SCHEME_LEN {
        errors.add(
            "scheme",
            format!("must be 1 to {MAX_SCHEME_LEN} characters long, not {length}"),
        );
    }
    if let Some(invalid) = scheme
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        errors.add(
            "scheme",
            format!(
                "`{}` contains `{}`; use only letters A-Z and a-z, digits, `_` and `-`",
                scheme.escape_debug(),
                invalid.escape_debug()
            ),
        );
    }
}

fn validate_client_secret(errors: &mut ValidationErrors, secret: &SsoClientSecret) {
    // The messages state the rule, never the value.
    let length = secret.expose_secret().chars().count();
    if length > MAX_CLIENT_SECRET_LEN {
        errors.add(
            "properties.clientSecret",
            format!("must be at most {MAX_CLIENT_SECRET_LEN} characters long, not {length}"),
        );
    }
    if secret.expose_secret().chars().any(char::is_control) {
        errors.add(
            "properties.clientSecret",
            "must not contain control characters",
        );
    }
}

/// Checks an issuer URL. OpenID Connect issuers are `https` URLs without query or
/// fragment (OpenID Connect Core 1.0, section 2, claim `iss`). Development providers may
/// use `http` on a loopback host (`localhost`, `127.0.0.0/8`, `[::1]`).
fn validate_authority(errors: &mut ValidationErrors, field: &str, authority: &str) {
    validate::text(errors, field, authority, 1, MAX_AUTHORITY_LEN);
    if authority.is_empty() {
        return;
    }
    let parsed = match url::Url::parse(authority) {
        Ok(parsed) => parsed,
        Err(error) => {
            errors.add(
                field,
                format!("`{authority}` is not an absolute URL: {error}"),
            );
            return;
        }
    };
    match parsed.scheme() {
        "https" if parsed.host().is_some() => {}
        "http" if crate::validate::is_loopback_host(&parsed) => {}
        "http" => errors.add(
            field,
            format!("`{authority}` must use https; http is allowed only on a loopback host"),
        ),
        other => errors.add(
            field,
            format!("`{authority}` has scheme `{other}`; expected https"),
        ),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        errors.add(field, "must not contain a user name or password");
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        errors.add(
            field,
            format!("`{authority}` must not contain a query or fragment"),
        );
    }
}

/// Checks a space-separated scope list, which must request `openid`.
fn validate_scope(errors: &mut ValidationErrors, field: &str, scope: &str) {
    validate::text(errors, field, scope, 1, MAX_SCOPE_LEN);
    if !scope
        .split_ascii_whitespace()
        .any(|token| token == OPENID_SCOPE)
    {
        errors.add(
            field,
            format!("`{scope}` must contain the scope `{OPENID_SCOPE}`"),
        );
    }
}

fn validate_claim_types<'a>(
    errors: &mut ValidationErrors,
    claim_types: impl IntoIterator<Item = (&'static str, &'a String)>,
) {
    for (field, value) in claim_types {
        validate::name(
            errors,
            &format!("properties.{field}"),
            value,
            MAX_CLAIM_TYPE_LEN,
        );
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn google_json() -> serde_json::Value {
        json!({
            "loginEnabled": true, "visible": true, "delegationEnabled": false,
            "autoProvisioningEnabled": true, "clientId": "my-client-id",
        })
    }

    fn parse(provider_type: SsoProviderType, value: serde_json::Value) -> SsoProperties {
        SsoProperties::from_json(provider_type, value).unwrap_or_else(|error| panic!("{error}"))
    }

    fn messages(result: Result<(), IamError>, field: &str) -> Vec<String> {
        match result {
            Err(IamError::Validation(errors)) => errors
                .fields()
                .get(field)
                .cloned()
                .unwrap_or_else(|| panic!("no message for `{field}` in {errors}")),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn input(properties: SsoProperties) -> SsoProviderInput {
        SsoProviderInput {
            scheme: "google".to_owned(),
            display_name: "Google".to_owned(),
            enabled: true,
            protocol: "oidc".to_owned(),
            properties,
        }
    }

    #[test]
    fn provider_type_round_trips() {
        for kind in SsoProviderType::ALL {
            assert_eq!(SsoProviderType::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(SsoProviderType::parse("AzureAD"), None);
        assert_eq!(SsoProviderType::parse("saml"), None);
    }

    #[test]
    fn google_defaults_applied() {
        let SsoProperties::Google(google) = parse(SsoProviderType::Google, google_json()) else {
            panic!("expected google properties");
        };
        assert_eq!(google.authority, GOOGLE_AUTHORITY);
        assert_eq!(google.scope, DEFAULT_SCOPE);
        assert!(google.use_pkce);
        assert_eq!(google.subject_claim_type, "sub");
        assert!(google.client_secret.is_none());
    }

    #[test]
    fn secret_never_serialized() {
        let mut value = google_json();
        value["clientSecret"] = json!("my-client-secret");
        let properties = parse(SsoProviderType::Google, value);
        assert!(properties.client_secret().is_some());
        let text = properties
            .to_json()
            .unwrap_or_else(|error| panic!("{error}"))
            .to_string();
        assert!(!text.contains("my-client-secret"), "{text}");
        assert!(!text.contains("clientSecret"), "{text}");
        let stored = serde_json::to_string(&properties).unwrap_or_else(|error| panic!("{error}"));
        assert!(!stored.contains("my-client-secret"), "{stored}");
        assert!(!format!("{properties:?}").contains("my-client-secret"));
    }

    #[test]
    fn secret_type_error_hides_value() {
        let mut value = google_json();
        value["clientSecret"] = json!(987654321);
        let Err(error) = SsoProperties::from_json(SsoProviderType::Google, value) else {
            panic!("a numeric client secret was accepted");
        };
        assert!(!error.to_string().contains("987654321"), "{error}");
    }

    #[test]
    fn unknown_field_rejected() {
        let mut value = google_json();
        value["method"] = json!("BankId");
        let result = SsoProperties::from_json(SsoProviderType::Google, value).map(|_| ());
        let messages = messages(result, "properties");
        assert!(messages[0].contains("method"), "{messages:?}");
    }

    #[test]
    fn authority_rules() {
        let cases = [
            ("https://idp.example.com", true),
            ("https://login.microsoftonline.com/{TenantId}/v2.0", true),
            ("http://localhost:8080/realms/dev", true),
            ("http://127.0.0.2", true),
            ("http://[::1]:9000", true),
            ("http://idp.example.com", false),
            ("ftp://idp.example.com", false),
            ("https://user:pass@idp.example.com", false),
            ("https://idp.example.com/?tenant=1", false),
            ("https://idp.example.com/#x", false),
            ("idp.example.com", false),
            ("", false),
        ];
        for (authority, valid) in cases {
            let mut errors = ValidationErrors::new();
            validate_authority(&mut errors, "properties.authority", authority);
            assert_eq!(errors.is_empty(), valid, "{authority}: {errors}");
        }
    }

    #[test]
    fn scheme_rules() {
        let long = "a".repeat(MAX_SCHEME_LEN + 1);
        let cases = [
            ("Okta_prod-2", true),
            ("", false),
            (long.as_str(), false),
            ("okta prod", false),
            ("okta.prod", false),
            ("økta", false),
        ];
        for (scheme, valid) in cases {
            let mut errors = ValidationErrors::new();
            validate_scheme(&mut errors, scheme);
            assert_eq!(errors.is_empty(), valid, "{scheme}: {errors}");
        }
    }

    #[test]
    fn scope_needs_openid_token() {
        let mut errors = ValidationErrors::new();
        validate_scope(&mut errors, "properties.scope", "openidx profile");
        assert!(!errors.is_empty());
        let mut errors = ValidationErrors::new();
        validate_scope(&mut errors, "properties.scope", "profile  openid");
        assert!(errors.is_empty(), "{errors}");
    }

    #[test]
    fn mismatched_type_rejected() {
        let properties = parse(SsoProviderType::Google, google_json());
        let result = input(properties).validate(SsoProviderType::AzureAd);
        let messages = messages(result, "properties");
        assert!(messages[0].contains("google"), "{messages:?}");
    }

    #[test]
    fn protocol_must_be_oidc() {
        let properties = parse(SsoProviderType::Google, google_json());
        let saml = SsoProviderInput {
            protocol: "saml".to_owned(),
            ..input(properties)
        };
        let messages = messages(saml.validate(SsoProviderType::Google), "type");
        assert!(messages[0].contains("`saml`"), "{messages:?}");
    }

    #[test]
    fn secret_length_message_hides_value() {
        let mut properties = parse(SsoProviderType::Google, google_json());
        let long = "s".repeat(MAX_CLIENT_SECRET_LEN + 1);
        if let SsoProperties::Google(google) = &mut properties {
            google.client_secret = Some(SsoClientSecret::new(long.clone()));
        }
        let messages = messages(
            input(properties).validate(SsoProviderType::Google),
            "properties.clientSecret",
        );
        assert!(!messages[0].contains(&long));
    }
}
