//! Function steps: JavaScript in an embedded QuickJS (rquickjs), sandboxed.
//!
//! Each call gets a fresh runtime with no module loader and no host functions, so the code
//! has no I/O at all; an interrupt handler stops it at the time limit and the runtime refuses
//! allocations past the memory limit. Parameters go in and the result comes out as JSON text,
//! so nothing but JSON crosses the boundary.

use rquickjs::{Context, Ctx, Function, Runtime};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Limits of one function call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JsLimits {
    pub time: Duration,
    pub memory: usize,
}

impl Default for JsLimits {
    fn default() -> Self {
        JsLimits {
            time: Duration::from_secs(5),
            memory: 64 * 1024 * 1024,
        }
    }
}

/// Runs `code` (a function expression, e.g. `function yourFunction(parameters) { … }`) with
/// `parameters`; blocks, so callers use `spawn_blocking`.
pub(crate) fn run(code: &str, parameters: &Value, limits: JsLimits) -> Result<Value, String> {
    let rt = Runtime::new().map_err(|e| format!("cannot start the JavaScript engine: {e}"))?;
    rt.set_memory_limit(limits.memory);
    rt.set_max_stack_size(1024 * 1024);
    let deadline = Instant::now() + limits.time;
    rt.set_interrupt_handler(Some(Box::new(move || Instant::now() > deadline)));
    let ctx = Context::full(&rt).map_err(|e| format!("cannot start the JavaScript engine: {e}"))?;
    let result = ctx.with(|ctx| call(&ctx, code, parameters));
    result.map_err(|e| {
        if Instant::now() > deadline {
            format!(
                "the function ran longer than its {:?} limit and was stopped",
                limits.time
            )
        } else {
            e
        }
    })
}

fn call(ctx: &Ctx<'_>, code: &str, parameters: &Value) -> Result<Value, String> {
    let thrown = |ctx: &Ctx<'_>, e: rquickjs::Error| -> String {
        if !matches!(e, rquickjs::Error::Exception) {
            return format!("the function failed: {e}");
        }
        let value = ctx.catch();
        match value.as_exception() {
            Some(ex) => format!("the function threw: {}", ex.message().unwrap_or_default()),
            None => match ctx.json_stringify(value) {
                Ok(Some(s)) => format!("the function threw: {}", s.to_string().unwrap_or_default()),
                _ => "the function threw a value that is not an Error".to_owned(),
            },
        }
    };
    let f: Function = ctx
        .eval(format!("({})", code.trim()))
        .map_err(|e| thrown(ctx, e))
        .map_err(|m| format!("{m} (the code must be one function, e.g. `function yourFunction(parameters) {{ return …; }}`)"))?;
    let args = ctx
        .json_parse(parameters.to_string())
        .map_err(|e| thrown(ctx, e))?;
    let out: rquickjs::Value = f.call((args,)).map_err(|e| thrown(ctx, e))?;
    if out.is_undefined() {
        return Ok(Value::Null);
    }
    if out.is_function() {
        return Err("the function returned a function, which is not JSON".into());
    }
    let text = ctx
        .json_stringify(out)
        .map_err(|e| thrown(ctx, e))?
        .ok_or("the function returned a value that is not JSON")?
        .to_string()
        .map_err(|e| format!("the function's result is not text: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("the function's result is not JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn limits() -> JsLimits {
        JsLimits {
            time: Duration::from_millis(200),
            memory: 16 * 1024 * 1024,
        }
    }

    #[test]
    fn returns_json() {
        let out = run(
            "function f(p) { return { n: p.xs.length, first: p.xs[0] }; }",
            &json!({"xs": [3, 4]}),
            limits(),
        );
        assert_eq!(out.unwrap(), json!({"n": 2, "first": 3}));
    }

    #[test]
    fn an_exception_fails_clearly() {
        let err = run(
            "function f(p) { throw new Error('no tasks'); }",
            &json!({}),
            limits(),
        )
        .unwrap_err();
        assert_eq!(err, "the function threw: no tasks");
    }

    #[test]
    fn an_endless_loop_is_stopped() {
        let started = Instant::now();
        let err = run("function f(p) { while (true) {} }", &json!({}), limits()).unwrap_err();
        assert!(err.contains("longer than its 200ms limit"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn memory_is_limited() {
        let err = run(
            "function f(p) { let a = []; while (true) { a.push(new Array(100000).fill(1)); } }",
            &json!({}),
            JsLimits {
                time: Duration::from_secs(10),
                memory: 8 * 1024 * 1024,
            },
        )
        .unwrap_err();
        assert!(err.contains("threw") || err.contains("failed"), "{err}");
    }

    #[test]
    fn no_io_is_available() {
        let out = run(
            "function f(p) { return [typeof require, typeof fetch, typeof std, typeof os]; }",
            &json!({}),
            limits(),
        )
        .unwrap();
        assert_eq!(
            out,
            json!(["undefined", "undefined", "undefined", "undefined"])
        );
    }

    #[test]
    fn a_function_result_is_not_json() {
        let err = run(
            "function f(p) { return function () {}; }",
            &json!({}),
            limits(),
        )
        .unwrap_err();
        assert!(err.contains("not JSON"), "{err}");
    }
}
