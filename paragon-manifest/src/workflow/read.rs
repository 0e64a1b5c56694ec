//! Reading `specs/<integration>/workflows/<key>.toml` with the manifest's reader: every
//! problem at once, file:line:col, "did you mean".

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::de::{DeTable, DeValue};

use super::check::{Context, Problem, Target, check, check_trigger};
use super::model::{
    Condition, HttpCall, Operator, Pagination, Retry, Setting, Step, StepKind, Trigger, Workflow,
};
use super::template::{Ref, Template, Value};
use crate::diagnostic::Diagnostics;
use crate::parse::{
    Reader, Table, Value as Toml, closest, is_header_name, is_identifier, quote_list,
};

const TOP: &[&str] = &[
    "id",
    "name",
    "description",
    "default_enabled",
    "hidden",
    "settings",
    "trigger",
    "steps",
];
const COMMON: &[&str] = &["key", "type", "description", "retry", "continue_on_error"];
const STEP_TYPES: &[&str] = &[
    "integration_request",
    "request",
    "function",
    "conditional",
    "fan_out",
    "delay",
    "response",
];
const TRIGGER_TYPES: &[&str] = &["app_event", "request", "schedule", "integration_enabled"];

/// A step's table and each field's value.
type StepSpans = (Range<usize>, BTreeMap<&'static str, Range<usize>>);

/// Positions the whole-workflow checks report at.
#[derive(Default)]
struct Spans {
    /// Per step: its table and each field's value.
    steps: Vec<StepSpans>,
    /// Each reference's position, per step.
    refs: Vec<(usize, Ref, Range<usize>)>,
    trigger: BTreeMap<&'static str, Range<usize>>,
    trigger_table: Range<usize>,
}

struct WfReader<'s> {
    r: Reader<'s>,
    spans: Spans,
    /// The step being read (for reference positions).
    step: usize,
}

/// Parses and validates a workflow file.
pub(crate) fn parse(source: &str, file: PathBuf, ctx: &Context) -> Result<Workflow, Diagnostics> {
    let key = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut w = WfReader {
        r: Reader::new(source, &file),
        spans: Spans::default(),
        step: 0,
    };
    let (root, errors) = DeTable::parse_recoverable(source);
    if !errors.is_empty() {
        for e in errors {
            let span = e.span().unwrap_or(0..0);
            w.r.error(span, "", format!("invalid TOML: {}", e.message()), "");
        }
        return Err(w.r.finish());
    }
    let root = Table {
        map: root.get_ref(),
        span: 0..0,
        path: String::new(),
    };
    w.r.check_keys(&root, TOP, &[], "");
    let id = w.r.opt_string(&root, "id").map(|(s, _)| s);
    let name = w.r.req_string(
        &root,
        "name",
        "name the workflow, e.g. name = \"Notify on new tasks\"",
    );
    let description =
        w.r.opt_string(&root, "description")
            .map(|(s, _)| s)
            .unwrap_or_default();
    let default_enabled = w.r.opt_bool(&root, "default_enabled").unwrap_or(false);
    let hidden = w.r.opt_bool(&root, "hidden").unwrap_or(false);
    let settings = w.settings(&root);
    let trigger = w.trigger(&root);
    let steps = w.steps(&root);
    if let Some(t) = &trigger {
        let mut problems = Vec::new();
        check_trigger(t, ctx, &mut problems);
        w.report(problems);
    }
    if let (Some(t), Some(steps)) = (&trigger, &steps) {
        let mut names: Vec<String> = settings.iter().map(|s| s.key.clone()).collect();
        names.extend(ctx.settings.iter().cloned());
        let problems = check(t, steps, &names, ctx);
        w.report(problems);
    }
    if w.r.count() > 0 {
        return Err(w.r.finish());
    }
    match (name, trigger, steps) {
        (Some((name, _)), Some(trigger), Some(steps)) => Ok(Workflow {
            file: Some(file.clone()),
            key,
            id,
            integration: ctx.integration.clone(),
            name,
            description,
            default_enabled,
            hidden,
            settings,
            trigger,
            steps,
        }),
        _ => Err(Diagnostics::for_file(&file, "the workflow is incomplete")),
    }
}

impl WfReader<'_> {
    fn report(&mut self, problems: Vec<Problem>) {
        for p in problems {
            let (span, field) = match &p.target {
                Target::Trigger(f) => (
                    self.spans
                        .trigger
                        .get(f)
                        .cloned()
                        .unwrap_or(self.spans.trigger_table.clone()),
                    format!("trigger.{f}"),
                ),
                Target::Step(i, f) => {
                    let (table, fields) = &self.spans.steps[*i];
                    (
                        fields.get(f).cloned().unwrap_or(table.clone()),
                        format!("steps[{i}].{f}"),
                    )
                }
                Target::Reference(i, r) => {
                    let span = self
                        .spans
                        .refs
                        .iter()
                        .find(|(s, x, _)| s == i && x == r)
                        .map(|(_, _, span)| span.clone())
                        .unwrap_or_else(|| self.spans.steps[*i].0.clone());
                    (span, format!("steps[{i}]"))
                }
            };
            self.r.error(span, &field, p.message, p.help);
        }
    }

    fn settings(&mut self, root: &Table<'_, '_>) -> Vec<Setting> {
        let mut out = Vec::new();
        for t in self.tables(root, "settings") {
            self.r
                .check_keys(&t, &["key", "label", "default", "required"], &[], "");
            let key = self.r.req_string(&t, "key", "e.g. key = \"project\"");
            let label = self.r.req_string(&t, "label", "e.g. label = \"Project\"");
            let default = self.r.opt_string(&t, "default").map(|(s, _)| s);
            let required = self.r.opt_bool(&t, "required").unwrap_or(false);
            if let (Some((key, span)), Some((label, _))) = (key, label) {
                if !is_identifier(&key) {
                    self.r.error(
                        span,
                        &t.field("key"),
                        format!("setting key `{key}` is not a name templates can use"),
                        "use letters, digits and `_`",
                    );
                    continue;
                }
                out.push(Setting {
                    key,
                    label,
                    default,
                    required,
                });
            }
        }
        out
    }

    /// The array of tables at `key` (absent: none).
    fn tables<'a, 'i>(&mut self, root: &Table<'a, 'i>, key: &str) -> Vec<Table<'a, 'i>> {
        let Some(v) = root.get(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = v.get_ref() else {
            self.r
                .wrong_type(v, key, &format!("an array of tables (`[[{key}]]`)"));
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("{key}[{i}]");
            match item.get_ref() {
                DeValue::Table(map) => out.push(Table {
                    map,
                    span: item.span(),
                    path,
                }),
                _ => self.r.wrong_type(item, &path, "a table"),
            }
        }
        out
    }

    fn trigger(&mut self, root: &Table<'_, '_>) -> Option<Trigger> {
        if root.get("trigger").is_none() {
            self.r.missing(root, "trigger", "add a `[trigger]` table with `type = \"app_event\"`, \"request\", \"schedule\" or \"integration_enabled\"");
            return None;
        }
        let t = self.r.opt_table(root, "trigger")?;
        self.spans.trigger_table = t.span.clone();
        for (k, v) in t.map.iter() {
            if let Some(f) = ["type", "event", "cron", "timezone"]
                .into_iter()
                .find(|f| *f == k.get_ref().as_ref() as &str)
            {
                self.spans.trigger.insert(f, v.span());
            }
        }
        let (ty, span) = self.r.req_string(&t, "type", "e.g. type = \"app_event\"")?;
        let allowed: &[&str] = match ty.as_str() {
            "app_event" => &["type", "event"],
            "schedule" => &["type", "cron", "timezone"],
            "request" | "integration_enabled" => &["type"],
            _ => {
                self.one_of(span, "trigger.type", &ty, TRIGGER_TYPES, "trigger type");
                return None;
            }
        };
        self.r.check_keys(
            &t,
            allowed,
            &["event", "cron", "timezone"],
            &format!("to a `{ty}` trigger"),
        );
        match ty.as_str() {
            "app_event" => {
                let (event, _) = self.r.req_string(
                    &t,
                    "event",
                    "name the app event, e.g. event = \"Task Created\"",
                )?;
                Some(Trigger::AppEvent { event })
            }
            "schedule" => {
                let cron = self.r.req_string(&t, "cron", "e.g. cron = \"0 9 * * 1-5\"");
                let timezone = self
                    .r
                    .opt_string(&t, "timezone")
                    .map_or("UTC".to_owned(), |(s, _)| s);
                Some(Trigger::Schedule {
                    cron: cron?.0,
                    timezone,
                })
            }
            "request" => Some(Trigger::Request),
            _ => Some(Trigger::IntegrationEnabled),
        }
    }

    fn one_of(
        &mut self,
        span: Range<usize>,
        field: &str,
        value: &str,
        allowed: &[&str],
        what: &str,
    ) {
        let help = match closest(value, allowed) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("expected one of: {}", quote_list(allowed)),
        };
        self.r
            .error(span, field, format!("unknown {what} `{value}`"), help);
    }

    /// Every step; `None` when one could not be read (the cross-step checks then wait).
    fn steps(&mut self, root: &Table<'_, '_>) -> Option<Vec<Step>> {
        let tables = self.tables(root, "steps");
        let mut out = Vec::new();
        let mut complete = true;
        for (i, t) in tables.iter().enumerate() {
            self.step = i;
            let mut fields = BTreeMap::new();
            for (k, v) in t.map.iter() {
                let k: &str = k.get_ref();
                if let Some(f) = ["key", "type", "then", "else", "steps", "integration"]
                    .into_iter()
                    .find(|f| *f == k)
                {
                    fields.insert(f, v.span());
                }
            }
            self.spans.steps.push((t.span.clone(), fields));
            match self.step_table(t) {
                Some(s) => out.push(s),
                None => complete = false,
            }
        }
        complete.then_some(out)
    }

    fn step_table(&mut self, t: &Table<'_, '_>) -> Option<Step> {
        let key = self.r.req_string(t, "key", "e.g. key = \"fetch_tasks\"");
        let ty = self
            .r
            .req_string(t, "type", "e.g. type = \"integration_request\"");
        let description = self.r.opt_string(t, "description").map(|(s, _)| s);
        let continue_on_error = self.r.opt_bool(t, "continue_on_error").unwrap_or(false);
        let retry = self.retry(t);
        if let Some((k, span)) = &key
            && !is_identifier(k)
        {
            self.r.error(
                span.clone(),
                &t.field("key"),
                format!("step key `{k}` is not a name templates can use"),
                "use letters, digits and `_`, e.g. \"fetch_tasks\"",
            );
        }
        let (ty, ty_span) = ty?;
        let own: &[&str] = match ty.as_str() {
            "integration_request" => &[
                "method",
                "path",
                "query",
                "headers",
                "body",
                "pagination",
                "integration",
            ],
            "request" => &["method", "url", "query", "headers", "body"],
            "function" => &["code", "rust", "parameters"],
            "conditional" => &["conditions", "then", "else"],
            "fan_out" => &["items", "concurrency", "steps"],
            "delay" => &["duration"],
            "response" => &["status", "body"],
            _ => {
                self.one_of(ty_span, &t.field("type"), &ty, STEP_TYPES, "step type");
                return None;
            }
        };
        let allowed: Vec<&str> = COMMON.iter().chain(own).copied().collect();
        let others = [
            "method",
            "path",
            "url",
            "query",
            "headers",
            "body",
            "pagination",
            "integration",
            "code",
            "rust",
            "parameters",
            "conditions",
            "then",
            "else",
            "items",
            "concurrency",
            "steps",
            "duration",
            "status",
        ];
        self.r
            .check_keys(t, &allowed, &others, &format!("to a `{ty}` step"));
        let kind = self.kind(t, &ty)?;
        Some(Step {
            key: key?.0,
            description,
            kind,
            retry: retry?,
            continue_on_error,
        })
    }

    fn retry(&mut self, t: &Table<'_, '_>) -> Option<Retry> {
        if t.get("retry").is_none() {
            return Some(Retry::default());
        }
        let rt = self.r.opt_table(t, "retry")?;
        self.r.check_keys(&rt, &["attempts", "backoff"], &[], "");
        let attempts = self.integer(&rt, "attempts", 0..=10).unwrap_or(Some(0))?;
        let backoff = match self.r.opt_string(&rt, "backoff") {
            Some((s, span)) => self.duration(&s, span, &rt.field("backoff"))?,
            None => Duration::from_secs(1),
        };
        Some(Retry {
            attempts: attempts as u32,
            backoff,
        })
    }

    /// An optional integer in `range`: `None` absent, `Some(None)` invalid.
    fn integer(
        &mut self,
        t: &Table<'_, '_>,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<Option<i64>> {
        let v = t.get(key)?;
        let field = t.field(key);
        let DeValue::Integer(i) = v.get_ref() else {
            self.r.wrong_type(v, &field, "an integer");
            return Some(None);
        };
        match i.to_string().parse::<i64>() {
            Ok(n) if range.contains(&n) => Some(Some(n)),
            _ => {
                self.r.error(
                    v.span(),
                    &field,
                    format!(
                        "`{field}` must be between {} and {}",
                        range.start(),
                        range.end()
                    ),
                    "",
                );
                Some(None)
            }
        }
    }

    fn duration(&mut self, s: &str, span: Range<usize>, field: &str) -> Option<Duration> {
        let parsed = parse_duration(s);
        if parsed.is_none() {
            self.r.error(
                span,
                field,
                format!("invalid duration `{s}`"),
                "write a number and a unit: ms, s, m, h or d, e.g. \"30s\" or \"2h\"",
            );
        }
        parsed
    }

    fn kind(&mut self, t: &Table<'_, '_>, ty: &str) -> Option<StepKind> {
        match ty {
            "integration_request" => {
                let call = self.call(t, "path");
                let pagination = self.pagination(t);
                let integration = self.r.opt_string(t, "integration").map(|(s, _)| s);
                Some(StepKind::IntegrationRequest {
                    integration,
                    call: call?,
                    pagination: pagination?,
                })
            }
            "request" => Some(StepKind::Request {
                call: self.call(t, "url")?,
            }),
            "function" => self.function(t),
            "conditional" => self.conditional(t),
            "fan_out" => {
                let items = match t.get("items") {
                    Some(v) => self.value(v, &t.field("items")),
                    None => {
                        self.r.missing(
                            t,
                            "items",
                            "e.g. items = \"{steps.fetch.output.body.tasks}\"",
                        );
                        None
                    }
                };
                let concurrency = self.integer(t, "concurrency", 1..=1000).unwrap_or(Some(10));
                let steps = self.keys(t, "steps", true);
                Some(StepKind::FanOut {
                    items: items?,
                    concurrency: concurrency? as u32,
                    steps: steps?,
                })
            }
            "delay" => {
                let (s, span) = self
                    .r
                    .req_string(t, "duration", "e.g. duration = \"10m\"")?;
                Some(StepKind::Delay {
                    duration: self.duration(&s, span, &t.field("duration"))?,
                })
            }
            _ => {
                let status = self.integer(t, "status", 100..=599).unwrap_or(Some(200));
                let body = match t.get("body") {
                    Some(v) => self.value(v, &t.field("body")),
                    None => Some(Value::Table(Vec::new())),
                };
                Some(StepKind::Response {
                    status: status? as u16,
                    body: body?,
                })
            }
        }
    }

    fn function(&mut self, t: &Table<'_, '_>) -> Option<StepKind> {
        let parameters = match t.get("parameters") {
            Some(v) => self.value(v, &t.field("parameters"))?,
            None => Value::Table(Vec::new()),
        };
        match (self.r.opt_string(t, "code"), self.r.opt_string(t, "rust")) {
            (Some((code, _)), None) => Some(StepKind::Function { code, parameters }),
            (None, Some((name, _))) => Some(StepKind::RustFunction { name, parameters }),
            (Some(_), Some((_, span))) => {
                self.r.error(
                    span,
                    &t.field("rust"),
                    "a function step has either `code` or `rust`, not both",
                    "remove one",
                );
                None
            }
            (None, None) => {
                self.r.missing(t, "code", "write JavaScript, e.g. code = \"function yourFunction(parameters) { return parameters.x; }\"");
                None
            }
        }
    }

    fn keys(&mut self, t: &Table<'_, '_>, key: &str, required: bool) -> Option<Vec<String>> {
        match self.r.opt_string_array(t, key) {
            Some(v) => Some(v.into_iter().map(|(s, _)| s).collect()),
            None if t.get(key).is_some() => None,
            None if required => {
                self.r.missing(
                    t,
                    key,
                    "list the keys of the steps it runs, e.g. [\"create_task\"]",
                );
                None
            }
            None => Some(Vec::new()),
        }
    }

    fn conditional(&mut self, t: &Table<'_, '_>) -> Option<StepKind> {
        let then = self.keys(t, "then", false);
        let otherwise = self.keys(t, "else", false);
        let Some(v) = t.get("conditions") else {
            self.r.missing(
                t,
                "conditions",
                "e.g. conditions = [[{ left = \"{steps.check.output}\", op = \"is_true\" }]]",
            );
            return None;
        };
        let field = t.field("conditions");
        let DeValue::Array(groups) = v.get_ref() else {
            self.r
                .wrong_type(v, &field, "an array of arrays of conditions (OR of ANDs)");
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (g, group) in groups.iter().enumerate() {
            let gfield = format!("{field}[{g}]");
            let DeValue::Array(items) = group.get_ref() else {
                self.r
                    .wrong_type(group, &gfield, "an array of conditions (all must hold)");
                ok = false;
                continue;
            };
            let mut all = Vec::new();
            for (c, item) in items.iter().enumerate() {
                let cfield = format!("{gfield}[{c}]");
                let DeValue::Table(map) = item.get_ref() else {
                    self.r
                        .wrong_type(item, &cfield, "a table `{ left, op, right }`");
                    ok = false;
                    continue;
                };
                match self.condition(&Table {
                    map,
                    span: item.span(),
                    path: cfield,
                }) {
                    Some(c) => all.push(c),
                    None => ok = false,
                }
            }
            out.push(all);
        }
        if out.is_empty() || out.iter().any(Vec::is_empty) {
            self.r.error(v.span(), &field, "a conditional needs at least one condition in each group", "e.g. conditions = [[{ left = \"{trigger.body.priority}\", op = \"equals\", right = \"high\" }]]");
            ok = false;
        }
        let (then, otherwise) = (then?, otherwise?);
        ok.then_some(StepKind::Conditional {
            conditions: out,
            then,
            otherwise,
        })
    }

    fn condition(&mut self, t: &Table<'_, '_>) -> Option<Condition> {
        self.r.check_keys(t, &["left", "op", "right"], &[], "");
        let left = match t.get("left") {
            Some(v) => self.value(v, &t.field("left")),
            None => {
                self.r.missing(
                    t,
                    "left",
                    "the value tested, e.g. left = \"{trigger.body.priority}\"",
                );
                None
            }
        };
        let (op_name, span) = self.r.req_string(t, "op", "e.g. op = \"equals\"")?;
        let Some(op) = Operator::NAMES
            .iter()
            .find(|(n, _)| *n == op_name)
            .map(|(_, o)| *o)
        else {
            let names: Vec<&str> = Operator::NAMES.iter().map(|(n, _)| *n).collect();
            self.one_of(span, &t.field("op"), &op_name, &names, "operator");
            return None;
        };
        let right = match t.get("right") {
            Some(v) => Some(self.value(v, &t.field("right"))?),
            None if op.is_binary() => {
                self.r.missing(
                    t,
                    "right",
                    format!("`{op_name}` compares with a value: right = \"…\""),
                );
                return None;
            }
            None => None,
        };
        Some(Condition {
            left: left?,
            op,
            right,
        })
    }

    fn call(&mut self, t: &Table<'_, '_>, url_key: &str) -> Option<HttpCall> {
        let method = self
            .r
            .opt_string(t, "method")
            .map_or(Some("GET".to_owned()), |(m, span)| {
                let upper = m.to_ascii_uppercase();
                if ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
                    .contains(&upper.as_str())
                {
                    Some(upper)
                } else {
                    self.r.error(
                        span,
                        &t.field("method"),
                        format!("unknown HTTP method `{m}`"),
                        "GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS",
                    );
                    None
                }
            });
        let help = if url_key == "path" {
            "e.g. path = \"/v1/tasks\""
        } else {
            "e.g. url = \"https://api.example.com/hooks\""
        };
        let url = self
            .r
            .req_string(t, url_key, help)
            .and_then(|(s, span)| self.template(&s, span, &t.field(url_key)));
        let query = self.map(t, "query", false);
        let headers = self.map(t, "headers", true);
        let body = match t.get("body") {
            Some(v) => Some(self.value(v, &t.field("body"))?),
            None => None,
        };
        Some(HttpCall {
            method: method?,
            url: url?,
            query: query?,
            headers: headers?,
            body,
        })
    }

    fn map(
        &mut self,
        t: &Table<'_, '_>,
        key: &str,
        headers: bool,
    ) -> Option<Vec<(String, Template)>> {
        if t.get(key).is_none() {
            return Some(Vec::new());
        }
        let m = self.r.opt_table(t, key)?;
        let mut out = Vec::new();
        let mut ok = true;
        for (k, v) in m.map.iter() {
            let name: &str = k.get_ref();
            let field = m.field(name);
            if headers && !is_header_name(name) {
                self.r.error(
                    k.span(),
                    &field,
                    format!("`{name}` is not a valid HTTP header name"),
                    "use letters, digits and `-`",
                );
                ok = false;
                continue;
            }
            match self
                .r
                .string(v, &field)
                .and_then(|(s, span)| self.template(&s, span, &field))
            {
                Some(tpl) => out.push((name.to_owned(), tpl)),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn pagination(&mut self, t: &Table<'_, '_>) -> Option<Option<Pagination>> {
        if t.get("pagination").is_none() {
            return Some(None);
        }
        let p = self.r.opt_table(t, "pagination")?;
        self.r
            .check_keys(&p, &["next", "param", "items", "max_pages"], &[], "");
        let next = self.r.req_string(
            &p,
            "next",
            "where the next-page token is in the body, e.g. next = \"next_cursor\"",
        );
        let param = self.r.req_string(
            &p,
            "param",
            "the query parameter it goes in, e.g. param = \"cursor\"",
        );
        let items = self.r.req_string(
            &p,
            "items",
            "where the page's items are in the body, e.g. items = \"tasks\"",
        );
        let max_pages = self
            .integer(&p, "max_pages", 1..=10_000)
            .unwrap_or(Some(100));
        Some(Some(Pagination {
            next: next?.0,
            param: param?.0,
            items: items?.0,
            max_pages: max_pages? as u32,
        }))
    }

    fn template(&mut self, text: &str, span: Range<usize>, field: &str) -> Option<Template> {
        match Template::parse(text) {
            Ok(t) => {
                for r in t.references() {
                    let written = r.to_string();
                    let at = match text.find(&written) {
                        Some(o) => self.r.inner_span(&span, o, written.len()),
                        None => span.clone(),
                    };
                    self.spans.refs.push((self.step, r.clone(), at));
                }
                Some(t)
            }
            Err(e) => {
                let at = self.r.inner_span(&span, e.offset, e.len);
                self.r.error(at, field, e.message, e.help);
                None
            }
        }
    }

    fn value(&mut self, v: &Toml<'_>, field: &str) -> Option<Value> {
        match v.get_ref() {
            DeValue::String(s) => self.template(s, v.span(), field).map(Value::Text),
            DeValue::Integer(i) => match i.to_string().parse::<i64>() {
                Ok(n) => Some(Value::Integer(n)),
                Err(_) => {
                    self.r.wrong_type(v, field, "a 64-bit integer");
                    None
                }
            },
            DeValue::Float(f) => f.to_string().parse::<f64>().ok().map(Value::Float),
            DeValue::Boolean(b) => Some(Value::Bool(*b)),
            DeValue::Array(items) => {
                let out: Vec<Option<Value>> = items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| self.value(x, &format!("{field}[{i}]")))
                    .collect();
                out.into_iter()
                    .collect::<Option<Vec<_>>>()
                    .map(Value::Array)
            }
            DeValue::Table(map) => {
                let out: Vec<Option<(String, Value)>> = map
                    .iter()
                    .map(|(k, x)| {
                        let k: &str = k.get_ref();
                        self.value(x, &format!("{field}.{k}"))
                            .map(|v| (k.to_owned(), v))
                    })
                    .collect();
                out.into_iter()
                    .collect::<Option<Vec<_>>>()
                    .map(Value::Table)
            }
            DeValue::Datetime(_) => {
                self.r
                    .wrong_type(v, field, "a string, number, boolean, array or table");
                None
            }
        }
    }
}

/// `500ms`, `30s`, `10m`, `2h`, `1d`.
pub(crate) fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().ok()?;
    let ms = match unit.trim() {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(ms).map(Duration::from_millis)
}

/// Reads `path` and parses it.
pub(crate) fn load(path: &Path, ctx: &Context) -> Result<Workflow, Diagnostics> {
    let source = crate::files::read_limited(path, crate::manifest::MAX_FILE_BYTES)
        .map_err(|e| Diagnostics::for_file(path, format!("cannot read the workflow: {e}")))?;
    parse(&source, path.to_path_buf(), ctx)
}
