//! The generated clients of `tests/specs` compile against `paragon-sdk` (these modules are the
//! snapshot outputs, kept current by `tests/snapshots.rs`), their types behave as the spec says,
//! and a generated client calls a local HTTP server standing in for Paragon's proxy.

#![allow(unreachable_pub)] // the generated modules are a user's public API, included exactly as generated

#[rustfmt::skip] // generated code, kept exactly as generated
#[path = "generated/allof.rs"]
mod allof;
#[rustfmt::skip] // generated code, kept exactly as generated
#[path = "generated/basic.rs"]
mod basic;
#[rustfmt::skip] // generated code, kept exactly as generated
#[path = "generated/bodies.rs"]
mod bodies;
#[rustfmt::skip] // generated code, kept exactly as generated
#[path = "generated/collisions.rs"]
mod collisions;
#[rustfmt::skip] // generated code, kept exactly as generated
#[path = "generated/enums.rs"]
mod enums;
#[rustfmt::skip] // generated code, kept exactly as generated
#[path = "generated/ergonomics.rs"]
mod ergonomics;
#[rustfmt::skip] // generated code, kept exactly as generated
#[path = "generated/external.rs"]
mod external;
#[rustfmt::skip] // generated code, kept exactly as generated
#[path = "generated/names.rs"]
mod names;
#[rustfmt::skip] // generated code, kept exactly as generated
#[path = "generated/objects.rs"]
mod objects;
#[rustfmt::skip] // generated code, kept exactly as generated
#[path = "generated/openapi31.rs"]
mod openapi31;
#[rustfmt::skip] // generated code, kept exactly as generated
#[path = "generated/recursive.rs"]
mod recursive;
#[rustfmt::skip] // generated code, kept exactly as generated
#[path = "generated/pagination.rs"]
mod pagination;
#[rustfmt::skip] // generated code, kept exactly as generated
#[path = "generated/responses.rs"]
mod responses;
#[rustfmt::skip] // generated code, kept exactly as generated
#[path = "generated/servers.rs"]
mod servers;
#[rustfmt::skip] // generated code, kept exactly as generated
#[path = "generated/unions.rs"]
mod unions;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

#[test]
fn string_enums_keep_unknown_values() {
    let state: enums::types::State = serde_json::from_value(json!("closed")).unwrap();
    assert_eq!(state, enums::types::State::Closed);
    let other: enums::types::State = serde_json::from_value(json!("merged")).unwrap();
    assert_eq!(other, enums::types::State::UnknownValue("merged".into()));
    assert_eq!(serde_json::to_value(&other).unwrap(), json!("merged"));
    assert_eq!(
        serde_json::to_value(enums::types::Weird::Plus1).unwrap(),
        json!("+1")
    );
}

#[test]
fn keyword_fields_use_the_wire_names() {
    let k: objects::types::Keywords =
        serde_json::from_value(json!({"type": "t", "self": "s", "+1": 3, "-1": 4, "as": "a"}))
            .unwrap();
    assert_eq!(k.r#type, "t");
    assert_eq!(k.self_value_2, "s");
    assert_eq!((k.plus_1, k.minus_1), (Some(3), Some(4)));
    let back = serde_json::to_value(&k).unwrap();
    assert_eq!(
        back,
        json!({"type": "t", "self": "s", "+1": 3, "-1": 4, "as": "a"})
    );
}

#[test]
fn optional_fields_are_skipped_and_extra_properties_kept() {
    let mut n = objects::types::Nullable {
        nested: None,
        optional_nullable: None,
        required_nullable: None,
        additional_properties: Default::default(),
    };
    assert_eq!(
        serde_json::to_value(&n).unwrap(),
        json!({"required_nullable": null})
    );
    // The schema allows members it does not name (no `additionalProperties`): a sent struct
    // sends them.
    n.additional_properties.insert("note".into(), json!("kept"));
    assert_eq!(
        serde_json::to_value(&n).unwrap(),
        json!({"required_nullable": null, "note": "kept"})
    );
    let w: objects::types::WithExtra =
        serde_json::from_value(json!({"id": "x", "a": 1, "b": 2})).unwrap();
    assert_eq!(w.additional_properties.len(), 2);
    assert_eq!(
        serde_json::to_value(&w).unwrap(),
        json!({"id": "x", "a": 1, "b": 2})
    );
}

#[test]
fn unsigned_formats_hold_values_past_i64() {
    let s: objects::types::Sizes =
        serde_json::from_value(json!({"bytes": 18446744073709551615u64, "count": -1})).unwrap();
    assert_eq!((s.bytes, s.count), (Some(u64::MAX), Some(-1)));
}

#[test]
fn inline_types_are_named_by_what_they_are() {
    // One `direction` shape shared by two operations, named for the parameter.
    let _ = names::types::Direction::Asc;
    // The other parameter, used once, keeps its operation's name.
    let _ = names::types::IssuesListForRepoState::Closed;
    // A component's property and a request's inline object share one `confidence` type.
    let label: names::types::Label =
        serde_json::from_value(json!({"name": "bug", "confidence": "high"})).unwrap();
    assert_eq!(label.confidence, Some(names::types::Confidence::High));
    // A nullable component identical to another is that one, optional.
    let user: Option<names::types::SimpleUser> =
        serde_json::from_value::<names::types::NullableSimpleUser>(json!({"login": "octocat"}))
            .unwrap();
    assert_eq!(user.unwrap().login, "octocat");
}

#[test]
fn untagged_unions_try_the_most_demanding_member_first() {
    use unions::types::GateReview;
    let body = json!({"environment_name": "prod", "state": "approved"});
    let decided: GateReview = serde_json::from_value(body.clone()).unwrap();
    assert!(matches!(decided, GateReview::Decision(ref d) if d.state == "approved"));
    assert_eq!(serde_json::to_value(&decided).unwrap(), body);
    let commented: GateReview =
        serde_json::from_value(json!({"environment_name": "prod", "comment": "ok"})).unwrap();
    assert!(matches!(commented, GateReview::Comment(_)));
}

#[test]
fn discriminated_unions_dispatch_on_the_tag() {
    use unions::types::Pet;
    let cat: Pet = serde_json::from_value(json!({"pet_type": "cat", "meows": true})).unwrap();
    assert!(matches!(cat, Pet::Cat(ref c) if c.meows));
    let dog: Pet = serde_json::from_value(json!({"pet_type": "doggo"})).unwrap();
    assert!(matches!(dog, Pet::Dog(_)));
    let bird: Pet = serde_json::from_value(json!({"pet_type": "bird"})).unwrap();
    assert!(matches!(bird, Pet::Unknown(_)));
    assert!(
        serde_json::from_value::<Pet>(json!({"pet_type": "cat"})).is_err(),
        "a cat without meows is not a cat"
    );
    let id: unions::types::IdOrName = serde_json::from_value(json!("x")).unwrap();
    assert!(matches!(id, unions::types::IdOrName::String(_)));
}

#[test]
fn recursive_types_round_trip() {
    let v = json!({"value": 1, "next": {"value": 2}});
    let node: recursive::types::Node = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(node.next.as_ref().unwrap().value, 2);
    assert_eq!(serde_json::to_value(&node).unwrap(), v);
    let j: recursive::types::Json = serde_json::from_value(json!([[], [[]]])).unwrap();
    assert_eq!(j.0.len(), 2);
}

#[test]
fn openapi_3_1_nullable_and_const() {
    let t: openapi31::types::Thing =
        serde_json::from_value(json!({"kind": "thing", "name": null, "size": 3, "either": 5}))
            .unwrap();
    assert_eq!(t.kind, openapi31::types::ThingKind::Thing);
    assert_eq!(t.name, None);
    assert!(matches!(
        t.either,
        Some(openapi31::types::ThingEither::Integer(5))
    ));
}

/// What the stand-in proxy saw.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    uri: String,
    headers: HeaderMap,
    body: Bytes,
}

/// A local server that answers like Paragon's proxy: `{"output": …}` for 2xx, the provider's
/// body for errors; the answer is chosen by path.
async fn proxy() -> (paragon_sdk::Paragon, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let log = log.clone();
            async move {
                let path = uri.path().to_string();
                log.lock().unwrap().push(Seen {
                    method: method.clone(),
                    uri: uri.to_string(),
                    headers,
                    body,
                });
                let (status, body) = if path.ends_with("/users/octo%20cat/repos")
                    && method == Method::GET
                {
                    (
                        StatusCode::OK,
                        json!({"output": [{"id": 1, "name": "hello", "topics": ["x"]}]}),
                    )
                } else if path.ends_with("/users/ghost/repos") && method == Method::GET {
                    (StatusCode::NOT_FOUND, json!({"message": "Not Found"}))
                } else if path.ends_with("/users/octocat/repos") && method == Method::POST {
                    (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        json!({"message": "name taken"}),
                    )
                } else if path.ends_with("/bookings") {
                    let page = json!({"data": [{"id": "b1", "note": "x"}], "next_cursor": null});
                    (StatusCode::OK, json!({ "output": page }))
                } else if path.ends_with("/form") {
                    (StatusCode::OK, json!({"output": "done"}))
                } else {
                    (StatusCode::NO_CONTENT, Value::Null)
                };
                let text = if body.is_null() {
                    String::new()
                } else {
                    body.to_string()
                };
                (status, [("content-type", "application/json")], text)
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let paragon = paragon_sdk::Paragon::builder()
        .ignore_env()
        .project_id("proj")
        .user_token("user-token")
        .proxy_url(url)
        .build()
        .unwrap();
    (paragon, seen)
}

#[tokio::test]
async fn generated_client_calls_through_the_proxy() {
    let (paragon, seen) = proxy().await;
    let client = basic::Client::new(paragon);
    assert_eq!(client.integration(), "custom.basic");

    let repos = client
        .repos_list_for_user("octo cat")
        .per_page(50)
        .labels(vec!["a".into(), "b".into()])
        .x_request_id("req-1")
        .await
        .unwrap();
    assert_eq!(repos.len(), 1);
    assert_eq!(repos[0].name, "hello");
    let first = seen.lock().unwrap()[0].clone();
    assert_eq!(first.method, Method::GET);
    assert_eq!(
        first.uri,
        "/projects/proj/sdk/proxy/custom.basic/users/octo%20cat/repos?per_page=50&labels=a&labels=b"
    );
    assert_eq!(first.headers["x-request-id"], "req-1");
    assert_eq!(first.headers["authorization"], "Bearer user-token");

    // A documented 404: its body decoded into the spec's type.
    match client.repos_list_for_user("ghost").await {
        Err(basic::Error::Api(basic::builders::ReposListForUserError::Status404(e))) => {
            assert_eq!(e.message, "Not Found")
        }
        other => panic!("expected the documented 404, got {other:?}"),
    }

    // `default` catches other statuses; the JSON body is sent as typed.
    #[allow(deprecated)]
    let created = client
        .repos_create_for_user(
            "octocat",
            basic::types::ReposCreateForUserRequest {
                name: "r".into(),
                private: Some(true),
                additional_properties: Default::default(),
            },
        )
        .await;
    match created {
        Err(basic::Error::Api(basic::builders::ReposCreateForUserError::Default(e))) => {
            assert_eq!(e.message, "name taken")
        }
        other => panic!("expected the default error, got {other:?}"),
    }
    let post = seen.lock().unwrap()[2].clone();
    assert_eq!(
        serde_json::from_slice::<Value>(&post.body).unwrap(),
        json!({"name": "r", "private": true})
    );

    // No body documented: `()`; integer path parameters are encoded as text.
    client
        .put_repos_owner_repo_stars_id("me", "r/x", 7)
        .await
        .unwrap();
    assert!(
        seen.lock().unwrap()[3]
            .uri
            .ends_with("/repos/me/r%2Fx/stars/7")
    );
}

#[tokio::test]
async fn all_of_envelope_types_the_list_items() {
    let (paragon, _) = proxy().await;
    let client = allof::Client::new(paragon);
    let page: allof::types::ListBookingsResponse = client.list_bookings().await.unwrap();
    // `data` is `Vec<Booking>`, not a vector of maps: the later `allOf` member refined it.
    let ids: Vec<&str> = page.data.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, ["b1"]);
    assert_eq!(page.data[0].note.as_deref(), Some("x"));
    let rooms: allof::types::Page =
        serde_json::from_value(json!({"data": [{"name": "Ada"}], "total": 1})).unwrap();
    assert_eq!(rooms.data[0].name.as_deref(), Some("Ada"));
    let confirmed: Result<allof::types::ConfirmedBooking, _> =
        serde_json::from_value(json!({"id": "b2"}));
    assert!(confirmed.is_err(), "a later member made `note` required");
}

#[tokio::test]
async fn operations_on_other_servers() {
    let (paragon, seen) = proxy().await;
    let client = servers::Client::new(paragon);
    client.list_things().await.unwrap();
    client
        .upload_asset(7, "a b.txt")
        .body(paragon_sdk::__private::bytes::Bytes::from_static(b"bytes"))
        .content_type("text/plain")
        .await
        .unwrap();
    client.on_the_base().await.unwrap();
    let seen = seen.lock().unwrap();
    // A relative server adjusts the path.
    assert!(
        seen[0].uri.ends_with("/sdk/proxy/custom.servers/v2/things"),
        "{}",
        seen[0].uri
    );
    assert!(!seen[0].headers.contains_key("x-paragon-proxy-url"));
    // Another host goes through the full-URL form, with the query inside that URL.
    assert_eq!(
        seen[1].headers["x-paragon-proxy-url"],
        "https://uploads.example.com/uploads/7?name=a+b.txt"
    );
    assert_eq!(&seen[1].body[..], b"bytes");
    // A server equal to the spec's own is the base URL.
    assert!(
        seen[2].uri.ends_with("/sdk/proxy/custom.servers/same"),
        "{}",
        seen[2].uri
    );
    assert!(!seen[2].headers.contains_key("x-paragon-proxy-url"));
}

#[test]
fn request_bodies_take_str_and_start_from_default() {
    use ergonomics::types::{CreateIssueRequest, SearchRequest};
    // A string-or-array union takes a `&str` directly.
    let issue = CreateIssueRequest {
        title: "Bug".into(),
        body: None,
        additional_properties: Default::default(),
    };
    assert_eq!(
        serde_json::to_value(&issue).unwrap(),
        json!({"title": "Bug"})
    );
    // Required fields make the constructor, optional ones are setters.
    let issue = CreateIssueRequest::new("Bug").body("It broke");
    assert_eq!(
        serde_json::to_value(&issue).unwrap(),
        json!({"title": "Bug", "body": "It broke"})
    );
    // All fields optional: the body starts from `Default`.
    let search = SearchRequest {
        q: Some("is:open".into()),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&search).unwrap(),
        json!({"q": "is:open"})
    );
}

#[tokio::test]
async fn form_bodies_are_url_encoded() {
    let (paragon, seen) = proxy().await;
    let client = bodies::Client::new(paragon);
    let answer = client
        .submit_form()
        .body(bodies::types::SubmitFormRequest {
            grant_type: "client credentials".into(),
            scope: None,
            additional_properties: Default::default(),
        })
        .await
        .unwrap();
    assert_eq!(&answer[..], b"{\"output\":\"done\"}");
    let sent = seen.lock().unwrap()[0].clone();
    assert_eq!(
        sent.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(&sent.body[..], b"grant_type=client%20credentials");
}

/// A local server that answers like Paragon's proxy with `X-Paragon-Use-Raw-Response: 1`: the
/// provider's status, headers and body as they are (and `{"output": …}` without the header).
async fn raw_proxy() -> (paragon_sdk::Paragon, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let log = log.clone();
            async move {
                let raw = headers.get("x-paragon-use-raw-response").is_some();
                let accept = headers
                    .get("accept")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let path = uri.path().to_string();
                let query = uri.query().unwrap_or_default().to_string();
                log.lock().unwrap().push(Seen {
                    method,
                    uri: uri.to_string(),
                    headers,
                    body,
                });
                let mut answer = axum::response::Response::builder();
                let body = if path.ends_with("/analyses/1") {
                    // The provider answers in the media type asked for.
                    answer = answer.status(StatusCode::OK);
                    let body = match accept.as_str() {
                        "application/sarif+json" => json!({"version": "2.1.0", "runs": [{}]}),
                        "application/vnd.github.diff" => json!("diff --git a/x b/x"),
                        _ => json!({"id": 1, "name": "hello"}),
                    };
                    match (raw, body) {
                        (true, Value::String(text)) => text,
                        (true, body) => body.to_string(),
                        (false, body) => json!({ "output": body }).to_string(),
                    }
                } else if path.ends_with("/tarball/v1") {
                    answer = answer
                        .status(StatusCode::FOUND)
                        .header("location", "https://codeload.example.com/o/r/tar.gz/v1");
                    String::new()
                } else if query.contains("owner=ghost") {
                    answer = answer.status(StatusCode::NOT_FOUND);
                    json!({"message": "Not Found"}).to_string()
                } else {
                    let repos = json!([{"id": 1, "name": "hello"}]);
                    answer = answer
                        .status(StatusCode::OK)
                        .header(
                            "link",
                            r#"<https://api.example.com/repos?page=2>; rel="next""#,
                        )
                        .header("x-ratelimit-remaining", "4999");
                    if raw {
                        repos
                    } else {
                        json!({ "output": repos })
                    }
                    .to_string()
                };
                answer
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from(body))
                    .unwrap()
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let paragon = paragon_sdk::Paragon::builder()
        .ignore_env()
        .project_id("proj")
        .user_token("user-token")
        .proxy_url(url)
        .build()
        .unwrap();
    (paragon, seen)
}

#[tokio::test]
async fn responses_carry_status_and_headers_beside_the_body() {
    let (paragon, seen) = raw_proxy().await;
    let client = responses::Client::new(paragon);

    // The plain await still returns the body alone, through the `{"output": …}` envelope.
    let repos = client.repos_list().await.unwrap();
    assert_eq!(repos[0].name, "hello");
    assert!(
        !seen.lock().unwrap()[0]
            .headers
            .contains_key("x-paragon-use-raw-response")
    );

    // With the response: the provider's headers, so its `Link` pagination and rate limits.
    let response = client.repos_list().send_with_response().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-ratelimit-remaining"], "4999");
    assert_eq!(
        response.next_link().as_deref(),
        Some("https://api.example.com/repos?page=2")
    );
    assert_eq!(response.body()[0].id, 1);
    assert_eq!(response.into_body()[0].name, "hello");
    assert_eq!(
        seen.lock().unwrap()[1].headers["x-paragon-use-raw-response"],
        "1"
    );

    // A documented error is still decoded into its type.
    match client
        .repos_list()
        .owner("ghost")
        .send_with_response()
        .await
    {
        Err(responses::Error::Api(responses::builders::ReposListError::Status404(e))) => {
            assert_eq!(e.message, "Not Found")
        }
        other => panic!("expected the documented 404, got {other:?}"),
    }

    // Each media type of the answer has its own call, which asks for it and decodes its type.
    let analysis = client.code_scanning_get_analysis(1).await.unwrap();
    assert_eq!(analysis.name, "hello");
    let sarif = client
        .code_scanning_get_analysis(1)
        .send_sarif()
        .await
        .unwrap();
    assert_eq!(sarif.version, "2.1.0");
    assert_eq!(sarif.runs.map(|r| r.len()), Some(1));
    let diff = client
        .code_scanning_get_analysis(1)
        .send_github_diff_with_response()
        .await
        .unwrap();
    assert_eq!(diff.status(), StatusCode::OK);
    assert_eq!(&diff.body()[..], b"diff --git a/x b/x");
    let log = seen.lock().unwrap().clone();
    let accepts: Vec<String> = log[log.len() - 3..]
        .iter()
        .map(|s| s.headers["accept"].to_str().unwrap().to_string())
        .collect();
    assert_eq!(
        accepts,
        [
            "application/json",
            "application/sarif+json",
            "application/vnd.github.diff"
        ]
    );

    // A documented redirect is an answer: its `Location` is reachable.
    let archive = client
        .repos_download_tarball_archive("o", "r", "v1")
        .send_with_response()
        .await
        .unwrap();
    assert_eq!(archive.status(), StatusCode::FOUND);
    assert_eq!(
        archive.location(),
        Some("https://codeload.example.com/o/r/tar.gz/v1")
    );
}

/// A provider behind a raw-mode proxy with three ways to page: a next cursor in the body,
/// GitHub's `Link` header, a next URL in the body (the two URLs arrive as the proxy's full-URL
/// header).
async fn pager() -> (paragon_sdk::Paragon, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let log = log.clone();
            async move {
                let url = headers
                    .get("x-paragon-proxy-url")
                    .map(|v| v.to_str().unwrap().to_string());
                let path = uri.path().to_string();
                let query = uri.query().unwrap_or_default().to_string();
                log.lock().unwrap().push(Seen {
                    method,
                    uri: uri.to_string(),
                    headers,
                    body,
                });
                let ids = |ids: &[&str]| -> Value {
                    ids.iter().map(|id| json!({ "id": id })).collect()
                };
                let mut answer = axum::response::Response::builder().status(StatusCode::OK);
                let body = match (path.rsplit('/').next().unwrap(), url.as_deref()) {
                    ("task-pages", _) if query.contains("cursor=4") => {
                        json!({"tasks": ids(&["t5"]), "next_cursor": null})
                    }
                    ("task-pages", _) if query.contains("cursor=2") => {
                        json!({"tasks": ids(&["t3", "t4"]), "next_cursor": "4"})
                    }
                    ("task-pages", _) => json!({"tasks": ids(&["t1", "t2"]), "next_cursor": "2"}),
                    ("repos", Some("https://api.example.com/repos?per_page=2&page=2")) => {
                        answer = answer
                            .header("link", r#"<https://api.example.com/repos?per_page=2&page=1>; rel="prev""#);
                        ids(&["r3"])
                    }
                    ("repos", _) => {
                        answer = answer.header(
                            "link",
                            r#"<https://api.example.com/repos?per_page=2&page=2>; rel="next", <https://api.example.com/repos?per_page=2&page=2>; rel="last""#,
                        );
                        ids(&["r1", "r2"])
                    }
                    ("events", Some(_)) => json!({"data": ids(&["e2"])}),
                    ("events", None) => json!({
                        "data": ids(&["e1"]),
                        "next_url": "https://api.example.com/events?after=e1"
                    }),
                    _ => Value::Null,
                };
                answer
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from(body.to_string()))
                    .unwrap()
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let paragon = paragon_sdk::Paragon::builder()
        .ignore_env()
        .project_id("proj")
        .user_token("user-token")
        .proxy_url(url)
        .build()
        .unwrap();
    (paragon, seen)
}

async fn ids<T>(
    stream: impl paragon_sdk::__private::futures_util::Stream<
        Item = Result<pagination::types::Task, pagination::Error<T>>,
    >,
) -> Vec<String>
where
    T: std::fmt::Debug,
{
    use paragon_sdk::__private::futures_util::StreamExt;
    stream
        .map(|task| task.unwrap().id)
        .collect::<Vec<_>>()
        .await
}

#[tokio::test]
async fn streams_follow_cursors_links_and_next_urls_with_a_cap() {
    let (paragon, seen) = pager().await;
    let client = pagination::Client::new(paragon);

    // A next cursor in the body goes into the `cursor` parameter, until it is null.
    let all = ids(client.list_task_pages().limit(2).items(100)).await;
    assert_eq!(all, ["t1", "t2", "t3", "t4", "t5"]);
    let uris: Vec<String> = seen.lock().unwrap().drain(..).map(|s| s.uri).collect();
    assert_eq!(uris.len(), 3);
    assert!(
        uris[1].ends_with("/task-pages?limit=2&cursor=2"),
        "{}",
        uris[1]
    );
    assert!(
        uris[2].ends_with("/task-pages?limit=2&cursor=4"),
        "{}",
        uris[2]
    );

    // The cap stops the requests too, for items and for pages.
    let three = ids(client.list_task_pages().items(3)).await;
    assert_eq!(three, ["t1", "t2", "t3"]);
    assert_eq!(seen.lock().unwrap().drain(..).count(), 2);
    use paragon_sdk::__private::futures_util::StreamExt;
    let pages: Vec<_> = client.list_task_pages().pages(1).collect().await;
    assert_eq!(pages.len(), 1);
    assert_eq!(seen.lock().unwrap().drain(..).count(), 1);

    // GitHub's way: the `Link: rel="next"` URL, through the proxy's full-URL form; a `Link`
    // without `next` is the last page.
    let repos = ids(client.repos_list_for_org().per_page(2).items(100)).await;
    assert_eq!(repos, ["r1", "r2", "r3"]);
    let sent: Vec<Seen> = seen.lock().unwrap().drain(..).collect();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].headers["x-paragon-use-raw-response"], "1");
    assert_eq!(
        sent[1].headers["x-paragon-proxy-url"],
        "https://api.example.com/repos?per_page=2&page=2"
    );

    // A next URL in the body.
    let events = ids(client.list_events().items(100)).await;
    assert_eq!(events, ["e1", "e2"]);
    assert_eq!(
        seen.lock().unwrap()[1].headers["x-paragon-proxy-url"],
        "https://api.example.com/events?after=e1"
    );
}
