//! Action names and the installation's action catalogue.
//!
//! An action is a dot-separated name such as `banking.pis.read`: 1 to 8 segments of
//! `[a-z0-9_-]`, at most 128 characters. Input is lowercased and never trimmed.
//!
//! The catalogue is a forest: each action may name a parent, and an action covers itself
//! and every descendant. Nothing else covers anything, so `banking.pis.read` does not
//! cover `banking.pis.readwrite`; names are never matched by string prefix.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{IamError, ValidationErrors};

/// The maximum length of an action name, in bytes (all allowed characters are ASCII).
pub const MAX_ACTION_LEN: usize = 128;
/// The maximum number of dot-separated segments of an action name.
pub const MAX_ACTION_SEGMENTS: usize = 8;

/// A valid action name in lowercase. Cloning is cheap (a shared string), because every
/// allowed decision carries the action that granted it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ActionName(Arc<str>);

impl ActionName {
    /// Parses an action name, lowercasing it first.
    ///
    /// # Errors
    ///
    /// [`IamError::Validation`] naming `field` for empty segments, more than 8 segments,
    /// more than 128 characters, or any character outside `[a-z0-9_-]` and `.`.
    pub fn parse(field: &str, text: &str) -> Result<Self, IamError> {
        Self::try_new(text).map_err(|problem| ValidationErrors::single(field, problem).into())
    }

    fn try_new(text: &str) -> Result<Self, String> {
        let lowered = text.to_ascii_lowercase();
        if lowered.is_empty() {
            return Err("action must not be empty".to_owned());
        }
        if lowered.len() > MAX_ACTION_LEN {
            return Err(format!(
                "action `{text}` is longer than {MAX_ACTION_LEN} characters"
            ));
        }
        let segments: Vec<&str> = lowered.split('.').collect();
        if segments.len() > MAX_ACTION_SEGMENTS {
            return Err(format!(
                "action `{text}` has more than {MAX_ACTION_SEGMENTS} segments"
            ));
        }
        if segments.iter().any(|segment| segment.is_empty()) {
            return Err(format!("action `{text}` has an empty segment"));
        }
        let valid_char =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-';
        if let Some(bad) = lowered.chars().find(|&c| c != '.' && !valid_char(c)) {
            return Err(format!(
                "action `{text}` contains `{}`; segments may contain only a-z, 0-9, `_` and `-`",
                bad.escape_default()
            ));
        }
        Ok(Self(Arc::from(lowered)))
    }

    /// Returns the name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the proper dotted prefixes of the name, longest first: `a.b.c` gives
    /// `a.b` and `a`.
    fn proper_prefixes(&self) -> impl Iterator<Item = &str> {
        self.0
            .char_indices()
            .rev()
            .filter(|(_, c)| *c == '.')
            .map(|(index, _)| &self.0[..index])
    }
}

impl TryFrom<String> for ActionName {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::try_new(&text)
    }
}

impl From<ActionName> for String {
    fn from(name: ActionName) -> Self {
        name.0.to_string()
    }
}

impl fmt::Display for ActionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ActionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ActionName({})", self.0)
    }
}

/// The areas of the built-in `iam.<area>.read` and `iam.<area>.write` actions.
pub const BUILT_IN_AREAS: [&str; 11] = [
    "action", "client", "domain", "policy", "role", "scim", "scope", "sso", "subject", "user",
    "audit",
];

/// The built-in action that is the parent of every other built-in action.
pub const IAM_MANAGE: &str = "iam.manage";

/// One action of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionDefinition {
    /// The action's name.
    pub name: ActionName,
    /// A human-readable description.
    pub description: String,
    /// The parent action, which covers this one.
    pub parent: Option<ActionName>,
    /// True for the actions under `iam` that always exist.
    pub built_in: bool,
}

/// The installation's action catalogue, immutable once built.
#[derive(Debug, Clone)]
pub struct ActionCatalog {
    actions: BTreeMap<ActionName, ActionDefinition>,
    /// Each action's ancestors, nearest first, excluding itself.
    ancestors: HashMap<ActionName, Vec<ActionName>>,
    /// Dense numbers for the policy index: the position of each name in `names`.
    numbers: FastMap<Box<str>, u32>,
    names: Vec<ActionName>,
    /// For each action number: itself, then its ancestors nearest first.
    chains: Vec<Box<[u32]>>,
}

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

impl ActionCatalog {
    /// Starts a catalogue that contains the built-in `iam` actions.
    pub fn builder() -> ActionCatalogBuilder {
        ActionCatalogBuilder::default()
    }

    /// Returns a catalogue of only the built-in `iam` actions.
    pub fn built_in() -> Self {
        // The built-in definitions are valid by construction, and a failure here would be
        // a defect caught by the tests, so an empty catalogue is a safe fallback.
        Self::builder()
            .build()
            .unwrap_or_else(|_| ActionCatalog::from_parts(BTreeMap::new(), HashMap::new()))
    }

    fn from_parts(
        actions: BTreeMap<ActionName, ActionDefinition>,
        ancestors: HashMap<ActionName, Vec<ActionName>>,
    ) -> Self {
        let names: Vec<ActionName> = actions.keys().cloned().collect();
        let numbers: FastMap<Box<str>, u32> = names
            .iter()
            .enumerate()
            .map(|(number, name)| (Box::from(name.as_str()), number as u32))
            .collect();
        let chains = names
            .iter()
            .enumerate()
            .map(|(number, name)| {
                let mut chain = vec![number as u32];
                chain.extend(
                    ancestors
                        .get(name)
                        .into_iter()
                        .flatten()
                        .filter_map(|ancestor| numbers.get(ancestor.as_str()).copied()),
                );
                chain.into_boxed_slice()
            })
            .collect();
        Self {
            actions,
            ancestors,
            numbers,
            names,
            chains,
        }
    }

    /// Returns the number of a valid action text, without allocating when it is already
    /// lowercase: `Ok(None)` for a valid name that is not in the catalogue.
    pub(crate) fn resolve(&self, text: &str) -> Result<Option<u32>, IamError> {
        let is_lower = !text.bytes().any(|byte| byte.is_ascii_uppercase());
        if is_lower && let Some(number) = self.numbers.get(text) {
            return Ok(Some(*number));
        }
        let name = ActionName::parse("action", text)?;
        Ok(self.numbers.get(name.as_str()).copied())
    }

    /// Returns the number of `name`, if the catalogue has it.
    pub(crate) fn number(&self, name: &ActionName) -> Option<u32> {
        self.numbers.get(name.as_str()).copied()
    }

    /// Returns the action with `number`.
    pub(crate) fn name_of(&self, number: u32) -> Option<&ActionName> {
        self.names.get(number as usize)
    }

    /// Returns the action `number` followed by its ancestors, nearest first.
    pub(crate) fn chain(&self, number: u32) -> &[u32] {
        self.chains.get(number as usize).map_or(&[], |chain| chain)
    }

    /// Returns the definition of `name`, if the catalogue has it.
    pub fn get(&self, name: &ActionName) -> Option<&ActionDefinition> {
        self.actions.get(name)
    }

    /// Returns true when the catalogue has `name`.
    pub fn contains(&self, name: &ActionName) -> bool {
        self.actions.contains_key(name)
    }

    /// Returns every action whose name starts with `prefix`, sorted by name.
    pub fn list(&self, prefix: &str) -> Vec<&ActionDefinition> {
        let prefix = prefix.to_ascii_lowercase();
        self.actions
            .values()
            .filter(|definition| definition.name.as_str().starts_with(&prefix))
            .collect()
    }

    /// Returns the ancestors of `name`, nearest first, excluding `name` itself. Unknown
    /// actions have none.
    pub fn ancestors(&self, name: &ActionName) -> &[ActionName] {
        self.ancestors.get(name).map_or(&[], Vec::as_slice)
    }

    /// Returns true when `granted` covers `requested`: both are in the catalogue and
    /// `granted` is `requested` or one of its ancestors.
    pub fn covers(&self, granted: &ActionName, requested: &ActionName) -> bool {
        if !self.contains(granted) || !self.contains(requested) {
            return false;
        }
        granted == requested || self.ancestors(requested).contains(granted)
    }

    /// Returns the number of actions.
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    /// Returns true when the catalogue is empty (never the case once built).
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }
}

impl Default for ActionCatalog {
    fn default() -> Self {
        Self::built_in()
    }
}

/// Collects action definitions and builds an [`ActionCatalog`].
#[derive(Debug, Default)]
pub struct ActionCatalogBuilder {
    entries: Vec<(String, String, Option<String>)>,
}

impl ActionCatalogBuilder {
    /// Adds an action. Without `parent`, the parent is the nearest `<prefix>.manage`
    /// action that exists for a proper dotted prefix of the name, else the longest proper
    /// dotted prefix that exists as an action, else none.
    pub fn action(
        mut self,
        name: impl Into<String>,
        description: impl Into<String>,
        parent: Option<impl Into<String>>,
    ) -> Self {
        self.entries
            .push((name.into(), description.into(), parent.map(Into::into)));
        self
    }

    /// Validates the definitions, resolves parents and builds the catalogue.
    ///
    /// # Errors
    ///
    /// [`IamError::Validation`] for an invalid name, a duplicate, a redefined built-in,
    /// a parent that is not in the catalogue, or parents that form a cycle.
    pub fn build(self) -> Result<ActionCatalog, IamError> {
        let mut errors = ValidationErrors::new();
        let mut declared: BTreeMap<ActionName, (String, Option<ActionName>, bool)> =
            BTreeMap::new();

        for (name, description) in built_in_definitions() {
            let name = ActionName::parse("action", &name)?;
            declared.insert(name, (description, None, true));
        }
        for (index, (name, description, parent)) in self.entries.into_iter().enumerate() {
            let field = format!("action[{index}]");
            let Some(name) = errors.collect(ActionName::parse(&field, &name))? else {
                continue;
            };
            let parent = match parent {
                Some(parent) => {
                    errors.collect(ActionName::parse(&format!("{field}.parent"), &parent))?
                }
                None => None,
            };
            if let Some((_, _, built_in)) = declared.get(&name) {
                let problem = if *built_in {
                    format!("action `{name}` is built in and can't be redefined")
                } else {
                    format!("action `{name}` is defined twice")
                };
                errors.add(&field, problem);
                continue;
            }
            if name.as_str() == "iam" || name.as_str().starts_with("iam.") {
                errors.add(
                    &field,
                    format!("action `{name}` is in the reserved `iam` namespace"),
                );
                continue;
            }
            declared.insert(name, (description, parent, false));
        }
        errors.into_result()?;

        let names: HashSet<ActionName> = declared.keys().cloned().collect();
        let mut actions = BTreeMap::new();
        let mut errors = ValidationErrors::new();
        for (name, (description, explicit_parent, built_in)) in declared {
            let parent = match explicit_parent {
                Some(parent) if !names.contains(&parent) => {
                    errors.add(
                        "parent",
                        format!(
                            "action `{name}` names parent `{parent}`, which is not in the catalogue"
                        ),
                    );
                    continue;
                }
                Some(parent) if parent == name => {
                    errors.add("parent", format!("action `{name}` names itself as parent"));
                    continue;
                }
                Some(parent) => Some(parent),
                None => default_parent(&name, &names),
            };
            actions.insert(
                name.clone(),
                ActionDefinition {
                    name,
                    description,
                    parent,
                    built_in,
                },
            );
        }
        errors.into_result()?;

        let ancestors = resolve_ancestors(&actions)?;
        Ok(ActionCatalog::from_parts(actions, ancestors))
    }
}

fn built_in_definitions() -> Vec<(String, String)> {
    let mut definitions = vec![(
        IAM_MANAGE.to_owned(),
        "Every operation of the IAM API".to_owned(),
    )];
    for area in BUILT_IN_AREAS {
        definitions.push((
            format!("iam.{area}.read"),
            format!("Read {area} objects of the IAM API"),
        ));
        definitions.push((
            format!("iam.{area}.write"),
            format!("Change {area} objects of the IAM API"),
        ));
    }
    definitions
}

/// Applies the default parent rule to `name` within the set of declared `names`.
fn default_parent(name: &ActionName, names: &HashSet<ActionName>) -> Option<ActionName> {
    let existing = |candidate: String| {
        ActionName::try_new(&candidate)
            .ok()
            .filter(|candidate| candidate != name && names.contains(candidate))
    };
    let nearest_manage = name
        .proper_prefixes()
        .find_map(|prefix| existing(format!("{prefix}.manage")));
    nearest_manage.or_else(|| {
        name.proper_prefixes()
            .find_map(|prefix| existing(prefix.to_owned()))
    })
}

/// Computes each action's ancestor chain, rejecting parent cycles.
fn resolve_ancestors(
    actions: &BTreeMap<ActionName, ActionDefinition>,
) -> Result<HashMap<ActionName, Vec<ActionName>>, IamError> {
    let mut ancestors = HashMap::with_capacity(actions.len());
    for name in actions.keys() {
        let mut chain: Vec<ActionName> = Vec::new();
        let mut current = actions
            .get(name)
            .and_then(|definition| definition.parent.clone());
        while let Some(parent) = current {
            if &parent == name || chain.contains(&parent) {
                return Err(ValidationErrors::single(
                    "parent",
                    format!("the parents of action `{name}` form a cycle through `{parent}`"),
                )
                .into());
            }
            current = actions
                .get(&parent)
                .and_then(|definition| definition.parent.clone());
            chain.push(parent);
        }
        ancestors.insert(name.clone(), chain);
    }
    Ok(ancestors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> ActionName {
        ActionName::try_new(text).unwrap_or_else(|problem| panic!("{problem}"))
    }

    fn banking() -> ActionCatalog {
        ActionCatalog::builder()
            .action("banking", "Banking", None::<String>)
            .action("banking.manage", "Manage banking", None::<String>)
            .action("banking.pis.manage", "Manage payments", None::<String>)
            .action("banking.pis.read", "Read payments", None::<String>)
            .action(
                "banking.pis.readwrite",
                "Read and write payments",
                None::<String>,
            )
            .action("banking.ais.read", "Read accounts", None::<String>)
            .build()
            .unwrap_or_else(|error| panic!("{error}"))
    }

    fn parent_of(catalog: &ActionCatalog, action: &str) -> Option<String> {
        catalog
            .get(&name(action))
            .and_then(|definition| definition.parent.as_ref())
            .map(ToString::to_string)
    }

    #[test]
    fn default_parent_prefers_nearest_manage() {
        let catalog = banking();
        assert_eq!(
            parent_of(&catalog, "banking.ais.read").as_deref(),
            Some("banking.manage")
        );
        assert_eq!(
            parent_of(&catalog, "banking.pis.read").as_deref(),
            Some("banking.pis.manage")
        );
        assert_eq!(
            parent_of(&catalog, "banking.pis.manage").as_deref(),
            Some("banking.manage")
        );
        assert_eq!(
            parent_of(&catalog, "banking.manage").as_deref(),
            Some("banking")
        );
        assert_eq!(parent_of(&catalog, "banking"), None);
    }

    #[test]
    fn built_in_actions_hang_below_iam_manage() {
        let catalog = ActionCatalog::built_in();
        assert_eq!(catalog.len(), 1 + 2 * BUILT_IN_AREAS.len());
        assert_eq!(
            parent_of(&catalog, "iam.policy.write").as_deref(),
            Some(IAM_MANAGE)
        );
    }

    #[test]
    fn covers_follows_ancestry_not_prefix() {
        let catalog = banking();
        assert!(catalog.covers(&name("banking"), &name("banking.pis.read")));
        assert!(catalog.covers(&name("banking.pis.read"), &name("banking.pis.read")));
        assert!(!catalog.covers(&name("banking.pis.read"), &name("banking.pis.readwrite")));
        assert!(!catalog.covers(&name("banking.pis.read"), &name("banking.pis.manage")));
        assert!(!catalog.covers(&name("banking.ais.read"), &name("banking.pis.read")));
    }

    #[test]
    fn parse_lowercases_and_rejects_bad_names() {
        assert_eq!(name("Banking.PIS.Read").as_str(), "banking.pis.read");
        for bad in [
            "",
            ".a",
            "a.",
            "a..b",
            "a b",
            " a",
            "a*",
            "a.*",
            "ä",
            "a/b",
            "1.2.3.4.5.6.7.8.9",
        ] {
            assert!(
                ActionName::try_new(bad).is_err(),
                "`{bad}` must be rejected"
            );
        }
        assert!(ActionName::try_new(&"a".repeat(129)).is_err());
        assert!(ActionName::try_new(&"a".repeat(128)).is_ok());
    }

    #[test]
    fn build_rejects_unknown_parent_and_cycles() {
        let unknown = ActionCatalog::builder()
            .action("a.b", "", Some("x"))
            .build();
        assert!(matches!(unknown, Err(IamError::Validation(_))));
        let cycle = ActionCatalog::builder()
            .action("a", "", Some("b"))
            .action("b", "", Some("a"))
            .build();
        assert!(matches!(cycle, Err(IamError::Validation(_))));
        let reserved = ActionCatalog::builder()
            .action("iam.extra", "", None::<String>)
            .build();
        assert!(matches!(reserved, Err(IamError::Validation(_))));
    }
}
