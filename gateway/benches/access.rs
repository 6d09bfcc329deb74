//! What the API's door costs a request: the Cedar decision (`ApiPolicy::decide`, entities and
//! request built per call, as the gateway does) and a bearer token's verification (a SQLite
//! lookup by id and a SHA-256 of the secret, among 1,000 tokens).
//! Run with `cargo bench -p ward-gateway --bench access`.

use criterion::{Criterion, criterion_group, criterion_main};
use ward_gateway::access::policy::ApiPolicy;
use ward_gateway::access::{Action, Principal, Role};
use ward_gateway::store::{Store, now};

fn decisions(c: &mut Criterion) {
    let policy = ApiPolicy::standard().expect("policy");
    let operator = Principal::Token {
        id: "0123456789abcdef".into(),
        role: Role::Operator,
    };
    let onboarding = Principal::Certificate {
        name: "onboarder".into(),
        role: Role::Onboarding,
    };
    let thing = Principal::Thing {
        name: "plug-7".into(),
        mud_url: "https://tplinkplug.com/tplinkplug".into(),
    };
    let by_url = Action::Onboard {
        inline_mud: false,
        mud_url: "https://tplinkplug.com/tplinkplug".into(),
    };
    let mut group = c.benchmark_group("api_access");
    group.bench_function("cedar_operator_list_devices", |b| {
        b.iter(|| policy.decide(&operator, &Action::ListDevices))
    });
    group.bench_function("cedar_onboarding_onboard", |b| {
        b.iter(|| policy.decide(&onboarding, &by_url))
    });
    group.bench_function("cedar_thing_onboards_itself", |b| {
        b.iter(|| policy.decide(&thing, &by_url))
    });
    group.bench_function("cedar_auditor_refused_reload", |b| {
        let auditor = Principal::Token {
            id: "0123456789abcdef".into(),
            role: Role::Auditor,
        };
        b.iter(|| policy.decide(&auditor, &Action::ReloadBundle))
    });
    let store = Store::in_memory().expect("store");
    let mut tokens = Vec::new();
    for _ in 0..1000 {
        tokens.push(
            store
                .create_token(Role::Onboarding, None, None)
                .expect("token")
                .0,
        );
    }
    let at = now();
    group.bench_function("verify_token_of_1000", |b| {
        let mut n = 0;
        b.iter(|| {
            n = (n + 1) % tokens.len();
            store.verify_token(&tokens[n], &at)
        })
    });
    group.finish();
}

criterion_group!(benches, decisions);
criterion_main!(benches);
