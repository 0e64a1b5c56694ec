//! One span per call, with integration, method, path (no query), status, attempts, latency.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use common::{Reply, Server};
use paragon_sdk::Method;
use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

type Fields = BTreeMap<String, String>;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<(String, Fields)>>>);

struct Visitor<'a>(&'a mut Fields);

impl Visit for Visitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::new();
        attrs.record(&mut Visitor(&mut fields));
        ctx.span(id).unwrap().extensions_mut().insert(fields);
    }
    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let span = ctx.span(id).unwrap();
        let mut ext = span.extensions_mut();
        values.record(&mut Visitor(ext.get_mut::<Fields>().unwrap()));
    }
    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let span = ctx.span(&id).unwrap();
        let fields = span
            .extensions()
            .get::<Fields>()
            .cloned()
            .unwrap_or_default();
        self.0
            .lock()
            .unwrap()
            .push((span.name().to_owned(), fields));
    }
}

#[tokio::test]
async fn each_call_has_one_span_with_its_facts() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = Server::start(vec![Reply::bytes(503, ""), Reply::output(json!(1))]).await;
    let paragon = server.token_client("secret-token");
    paragon
        .request(
            "custom.tasklab",
            Method::GET,
            "/v1/tasks?owner=alice@example.com",
        )
        .query(&[("secret", "s3cr3t")])
        .await
        .unwrap();

    let spans = capture.0.lock().unwrap().clone();
    let calls: Vec<&Fields> = spans
        .iter()
        .filter(|(n, _)| n == "paragon.request")
        .map(|(_, f)| f)
        .collect();
    assert_eq!(calls.len(), 1, "{spans:?}");
    let f = calls[0];
    assert_eq!(f["integration"], "custom.tasklab");
    assert_eq!(f["method"], "GET");
    assert_eq!(f["path"], "/v1/tasks");
    assert_eq!(f["status"], "200");
    assert_eq!(f["attempts"], "2");
    assert!(f["latency_ms"].parse::<f64>().unwrap() > 0.0);
    let all = format!("{spans:?}");
    assert!(
        !all.contains("s3cr3t") && !all.contains("alice@") && !all.contains("secret-token"),
        "{all}"
    );
}
