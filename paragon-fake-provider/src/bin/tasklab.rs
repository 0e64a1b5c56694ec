//! `tasklab [PORT]`: serves the Task Lab fake provider on 127.0.0.1 (default port 8080)
//! until interrupted, for trying examples by hand.

#![forbid(unsafe_code)]

use paragon_fake_provider::FakeProvider;

#[tokio::main]
async fn main() {
    let port = match std::env::args().nth(1).map(|arg| arg.parse::<u16>()) {
        None => 8080,
        Some(Ok(port)) => port,
        Some(Err(_)) => {
            eprintln!("usage: tasklab [PORT]   (PORT is a number from 0 to 65535)");
            std::process::exit(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("tasklab: cannot listen on 127.0.0.1:{port}: {error}");
            std::process::exit(1);
        }
    };
    let provider = match FakeProvider::default().start_on(listener).await {
        Ok(provider) => provider,
        Err(error) => {
            eprintln!("tasklab: cannot start: {error}");
            std::process::exit(1);
        }
    };
    println!("Task Lab listening on {}", provider.url());
    println!("TASKLAB_URL={}", provider.url());
    println!("TASKLAB_CLIENT_ID={}", provider.client_id());
    println!("TASKLAB_CLIENT_SECRET={}", provider.client_secret());
    println!("API key: {}", provider.api_keys().join(", "));
    std::future::pending::<()>().await;
}
