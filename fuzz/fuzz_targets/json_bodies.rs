//! Fuzzes the JSON parser of the `/v1` request bodies: arbitrary bytes through
//! `iam_http::extract::parse_json`, the function behind the `ApiJson` extractor, for every
//! request body type. No input may panic, and bodies nested deeper than
//! `MAX_JSON_DEPTH` must be rejected.
#![no_main]

use iam_http::api::claims::ClaimInputDto;
use iam_http::api::clients::{ClientInputDto, ClientSecretInputDto};
use iam_http::api::invitations::AcceptInvitationDto;
use iam_http::api::policies::{CheckBatchInputDto, CheckInputDto, PolicyInputDto};
use iam_http::api::roles::RoleInputDto;
use iam_http::api::scim::ScimTokenInputDto;
use iam_http::api::scopes::ScopeInputDto;
use iam_http::api::sso::SsoProviderInputDto;
use iam_http::api::subjects::{GroupInputDto, MembersInputDto};
use iam_http::api::users::UserUpdateDto;
use iam_http::extract::{MAX_JSON_DEPTH, check_json_depth, parse_json};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let too_deep = check_json_depth(data, MAX_JSON_DEPTH).is_err();

    let results = [
        parse_json::<AcceptInvitationDto>(data).is_ok(),
        parse_json::<CheckBatchInputDto>(data).is_ok(),
        parse_json::<CheckInputDto>(data).is_ok(),
        parse_json::<ClaimInputDto>(data).is_ok(),
        parse_json::<ClientInputDto>(data).is_ok(),
        parse_json::<ClientSecretInputDto>(data).is_ok(),
        parse_json::<GroupInputDto>(data).is_ok(),
        parse_json::<MembersInputDto>(data).is_ok(),
        parse_json::<PolicyInputDto>(data).is_ok(),
        parse_json::<RoleInputDto>(data).is_ok(),
        parse_json::<ScimTokenInputDto>(data).is_ok(),
        parse_json::<ScopeInputDto>(data).is_ok(),
        parse_json::<SsoProviderInputDto>(data).is_ok(),
        parse_json::<UserUpdateDto>(data).is_ok(),
        parse_json::<serde_json::Value>(data).is_ok(),
    ];
    if too_deep {
        assert!(results.iter().all(|accepted| !accepted));
    }
});
