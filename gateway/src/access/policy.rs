//! The API's permissions as a Cedar policy: the schema (`api.cedarschema`) is ward's, the
//! policy is the operator's (`--api-policy FILE.cedar`) or the default (`api.cedar`). The
//! policy is validated in strict mode when the gateway starts; one that does not validate
//! keeps the gateway from starting, since a typo in a permit would otherwise deny (or allow)
//! silently.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    PolicySet, Request, RestrictedExpression, Schema, ValidationMode, Validator,
};

use super::{Action, Principal};

/// The schema every API policy is validated against.
pub const SCHEMA: &str = include_str!("api.cedarschema");
/// The permissions when the operator gives none.
pub const DEFAULT_POLICY: &str = include_str!("api.cedar");

/// A validated API policy.
pub struct ApiPolicy {
    schema: Schema,
    policies: PolicySet,
    authorizer: Authorizer,
}

/// The decision on one request, with the policies that made it (their `@id`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    pub reasons: Vec<String>,
}

impl ApiPolicy {
    /// The default permissions (`api.cedar`).
    pub fn standard() -> Result<ApiPolicy, String> {
        ApiPolicy::new(DEFAULT_POLICY)
    }

    /// Parses and validates a policy against the API's schema (strict mode).
    pub fn new(text: &str) -> Result<ApiPolicy, String> {
        let (schema, _) = Schema::from_cedarschema_str(SCHEMA)
            .map_err(|e| format!("the API schema does not parse (a bug in ward): {e}"))?;
        let policies = PolicySet::from_str(text).map_err(|e| format!("does not parse: {e}"))?;
        let result = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
        if !result.validation_passed() {
            let errors: Vec<String> = result.validation_errors().map(|e| e.to_string()).collect();
            return Err(format!(
                "does not validate against the API schema: {}",
                errors.join("; ")
            ));
        }
        Ok(ApiPolicy {
            schema,
            policies,
            authorizer: Authorizer::new(),
        })
    }

    /// Whether `principal` may do `action`. A request Cedar cannot even form (it should
    /// always form: principal, action and context come from ward's own types) is denied.
    pub fn decide(&self, principal: &Principal, action: &Action) -> Verdict {
        match self.request(principal, action) {
            Ok((request, entities)) => {
                let response = self
                    .authorizer
                    .is_authorized(&request, &self.policies, &entities);
                let reasons = response
                    .diagnostics()
                    .reason()
                    .map(|id| {
                        self.policies
                            .policy(id)
                            .and_then(|p| p.annotation("id").map(str::to_string))
                            .unwrap_or_else(|| id.to_string())
                    })
                    .collect();
                Verdict {
                    allowed: response.decision() == Decision::Allow,
                    reasons,
                }
            }
            Err(error) => Verdict {
                allowed: false,
                reasons: vec![format!("no Cedar request: {error}")],
            },
        }
    }

    fn request(
        &self,
        principal: &Principal,
        action: &Action,
    ) -> Result<(Request, Entities), String> {
        let uid = |kind: &str, id: &str| -> Result<EntityUid, String> {
            let name =
                EntityTypeName::from_str(&format!("WardApi::{kind}")).map_err(|e| e.to_string())?;
            Ok(EntityUid::from_type_name_and_id(name, EntityId::new(id)))
        };
        let string = |text: &str| RestrictedExpression::new_string(text.to_string());
        let (principal_uid, entity) = match principal {
            Principal::Token { id, role } | Principal::Certificate { name: id, role } => {
                let kind = if matches!(principal, Principal::Token { .. }) {
                    "token"
                } else {
                    "certificate"
                };
                let me = uid("Client", &format!("{kind}:{id}"))?;
                let parents = HashSet::from([uid("Role", role.as_str())?]);
                let attrs = HashMap::from([("kind".to_string(), string(kind))]);
                let entity = Entity::new(me.clone(), attrs, parents).map_err(|e| e.to_string())?;
                (me, entity)
            }
            Principal::Thing { name, mud_url } => {
                let me = uid("Thing", name)?;
                let attrs = HashMap::from([("mud_url".to_string(), string(mud_url))]);
                let entity =
                    Entity::new(me.clone(), attrs, HashSet::new()).map_err(|e| e.to_string())?;
                (me, entity)
            }
        };
        let gateway = uid("Gateway", "self")?;
        let context = match action {
            Action::Onboard {
                inline_mud,
                mud_url,
            } => Context::from_pairs([
                (
                    "inline_mud".to_string(),
                    RestrictedExpression::new_bool(*inline_mud),
                ),
                ("mud_url".to_string(), string(mud_url)),
            ])
            .map_err(|e| e.to_string())?,
            _ => Context::empty(),
        };
        let action_uid = EntityUid::from_str(&format!("WardApi::Action::\"{}\"", action.name()))
            .map_err(|e| e.to_string())?;
        let entities = Entities::from_entities(
            [
                entity,
                Entity::new_no_attrs(gateway.clone(), HashSet::new()),
            ],
            Some(&self.schema),
        )
        .map_err(|e| e.to_string())?;
        let request = Request::new(
            principal_uid,
            action_uid,
            gateway,
            context,
            Some(&self.schema),
        )
        .map_err(|e| e.to_string())?;
        Ok((request, entities))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;

    #[test]
    fn the_default_policy_validates() {
        ApiPolicy::standard().expect("valid");
    }

    #[test]
    fn a_policy_that_does_not_validate_is_refused() {
        let typo = r#"permit (principal in WardApi::Role::"operator", action == WardApi::Action::"reload", resource);"#;
        let error = ApiPolicy::new(typo).err().expect("refused");
        assert!(error.contains("does not validate"), "{error}");
        assert!(ApiPolicy::new("permit (").is_err());
    }

    #[test]
    fn roles_get_what_the_default_policy_says() {
        let policy = ApiPolicy::standard().expect("valid");
        let token = |role| Principal::Token {
            id: "t".into(),
            role,
        };
        let by_url = Action::Onboard {
            inline_mud: false,
            mud_url: "https://example.com/lock".into(),
        };
        let inline = Action::Onboard {
            inline_mud: true,
            mud_url: "https://example.com/lock".into(),
        };
        let allowed =
            |principal: &Principal, action: &Action| policy.decide(principal, action).allowed;
        for action in [
            &Action::ReloadBundle,
            &Action::RemoveDevice,
            &by_url,
            &inline,
            &Action::ReadAudit,
        ] {
            assert!(allowed(&token(Role::Operator), action), "{action:?}");
        }
        assert!(allowed(&token(Role::Auditor), &Action::ReadAudit));
        assert!(!allowed(&token(Role::Auditor), &Action::RemoveDevice));
        assert!(!allowed(&token(Role::Auditor), &by_url));
        assert!(allowed(&token(Role::Onboarding), &by_url));
        assert!(!allowed(&token(Role::Onboarding), &inline));
        assert!(!allowed(&token(Role::Onboarding), &Action::ListDevices));
        let thing = Principal::Thing {
            name: "lock-1".into(),
            mud_url: "https://example.com/lock".into(),
        };
        assert!(allowed(&thing, &by_url));
        let other = Action::Onboard {
            inline_mud: false,
            mud_url: "https://example.com/camera".into(),
        };
        assert!(!allowed(&thing, &other));
        assert!(!allowed(&thing, &Action::ListDevices));
        assert_eq!(
            policy
                .decide(&token(Role::Auditor), &Action::ReadPava)
                .reasons,
            ["auditor"]
        );
    }
}
