//! Configuration from the environment. One test in this binary, so nothing else reads the
//! environment while it changes.

#![allow(unsafe_code)] // edition 2024 makes changing the environment unsafe; see SAFETY below

mod common;

use common::{PRIVATE_PKCS8, PROJECT, Reply, Server, verify};
use paragon_sdk::{Error, Method, Paragon};
use serde_json::json;

const VARS: [&str; 11] = [
    "PARAGON_PROJECT_ID",
    "PARAGON_USER_TOKEN",
    "PARAGON_SIGNING_KEY",
    "PARAGON_SIGNING_KEY_FILE",
    "PARAGON_USER_ID",
    "PARAGON_HOST",
    "PARAGON_API_URL",
    "PARAGON_PROXY_URL",
    "PARAGON_EVENTS_URL",
    "PARAGON_ACTIONKIT_URL",
    "PARAGON_PASSPORT_URL",
];

fn set(vars: &[(&str, &str)]) {
    // SAFETY: this binary has a single test on a current-thread runtime; no other thread reads
    // the environment meanwhile.
    unsafe {
        for v in VARS {
            std::env::remove_var(v);
        }
        for (k, v) in vars {
            std::env::set_var(k, v);
        }
    }
}

#[tokio::test]
async fn configuration_comes_from_the_environment() {
    let server = Server::start(vec![Reply::output(json!("hi"))]).await;
    let url = server.url();

    // Paragon::new(token): project and proxy URL from the environment.
    set(&[("PARAGON_PROJECT_ID", PROJECT), ("PARAGON_PROXY_URL", &url)]);
    let out: String = Paragon::new("tok")
        .request("custom.tasklab", Method::GET, "/x")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(out, "hi");
    let req = server.requests().pop().unwrap();
    assert_eq!(
        req.uri,
        format!("/projects/{PROJECT}/sdk/proxy/custom.tasklab/x")
    );
    assert_eq!(req.header("authorization"), Some("Bearer tok"));

    // from_env with a signing key given as one line with literal \n, and a user id.
    let one_line = PRIVATE_PKCS8.trim().replace('\n', "\\n");
    set(&[
        ("PARAGON_PROJECT_ID", PROJECT),
        ("PARAGON_SIGNING_KEY", &one_line),
        ("PARAGON_USER_ID", "env-user"),
        ("PARAGON_PROXY_URL", &url),
    ]);
    let paragon = Paragon::from_env();
    paragon
        .request("custom.tasklab", Method::GET, "/x")
        .await
        .unwrap();
    assert_eq!(
        verify(&server.requests().pop().unwrap().bearer())["sub"],
        "env-user"
    );
    // ...and a handle for another user.
    paragon
        .user("other")
        .request("custom.tasklab", Method::GET, "/x")
        .await
        .unwrap();
    assert_eq!(
        verify(&server.requests().pop().unwrap().bearer())["sub"],
        "other"
    );

    // The key from a file.
    let dir = std::env::temp_dir().join(format!("paragon-sdk-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_file = dir.join("key.pem");
    std::fs::write(&key_file, PRIVATE_PKCS8).unwrap();
    set(&[
        ("PARAGON_PROJECT_ID", PROJECT),
        ("PARAGON_SIGNING_KEY_FILE", key_file.to_str().unwrap()),
        ("PARAGON_USER_ID", "file-user"),
        ("PARAGON_API_URL", &url),
    ]);
    let token = Paragon::from_env().user_token().unwrap();
    assert_eq!(verify(token.expose())["sub"], "file-user");

    // On-prem host: every service mapped, one override on top.
    set(&[
        ("PARAGON_HOST", "paragon.example.com"),
        ("PARAGON_ACTIONKIT_URL", "http://127.0.0.1:9"),
    ]);
    let urls = Paragon::new("t").urls().unwrap().clone();
    assert_eq!(urls.api.to_string(), "https://zeus.paragon.example.com/");
    assert_eq!(
        urls.proxy.to_string(),
        "https://worker-proxy.paragon.example.com/"
    );
    assert_eq!(
        urls.events.to_string(),
        "https://hermes.paragon.example.com/"
    );
    assert_eq!(
        urls.passport.to_string(),
        "https://passport.paragon.example.com/"
    );
    assert_eq!(urls.actionkit.to_string(), "http://127.0.0.1:9/");

    // Cloud defaults.
    set(&[]);
    let urls = Paragon::new("t").urls().unwrap().clone();
    assert_eq!(urls.api.to_string(), "https://zeus.useparagon.com/");
    assert_eq!(urls.proxy.to_string(), "https://proxy.useparagon.com/");

    // Problems surface at the first call, naming the variable.
    let cases: [(&[(&str, &str)], &str); 5] = [
        (
            &[
                ("PARAGON_PROJECT_ID", PROJECT),
                ("PARAGON_API_URL", "not a url"),
            ],
            "PARAGON_API_URL",
        ),
        (
            &[
                ("PARAGON_PROJECT_ID", PROJECT),
                ("PARAGON_HOST", "example.com/path"),
            ],
            "PARAGON_HOST",
        ),
        (
            &[
                ("PARAGON_PROJECT_ID", PROJECT),
                ("PARAGON_SIGNING_KEY", "-----BEGIN PUBLIC KEY-----"),
            ],
            "PARAGON_SIGNING_KEY",
        ),
        (
            &[
                ("PARAGON_PROJECT_ID", PROJECT),
                ("PARAGON_SIGNING_KEY_FILE", "/nonexistent/key.pem"),
            ],
            "PARAGON_SIGNING_KEY_FILE",
        ),
        (
            &[("PARAGON_PROJECT_ID", PROJECT), ("PARAGON_API_URL", &url)],
            "PARAGON_USER_TOKEN",
        ),
    ];
    for (vars, variable) in cases {
        set(vars);
        let err = Paragon::from_env().me().await.unwrap_err();
        assert!(
            matches!(&err, Error::Config { setting, .. } if setting == variable),
            "{vars:?}: {err:?}"
        );
        assert!(err.to_string().contains(variable), "{err}");
        // build() reports the same at once.
        assert!(Paragon::builder().build().is_err() || variable == "PARAGON_USER_TOKEN");
    }
    set(&[
        ("PARAGON_API_URL", &url),
        ("PARAGON_USER_TOKEN", "not-a-jwt"),
    ]);
    let err = Paragon::from_env().me().await.unwrap_err();
    assert!(
        matches!(&err, Error::Config { setting, .. } if setting == "PARAGON_PROJECT_ID"),
        "{err:?}"
    );
    set(&[]);
    std::fs::remove_dir_all(&dir).ok();
}
