//! The HTTP transport: one pooled hyper client, TLS by rustls with the platform's certificate
//! verifier, and proxies from the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
//! `NO_PROXY`).
//!
//! The SDK talks to a handful of Paragon hosts with a fixed protocol: no redirects (following one
//! would resend the user token), no cookies, no decompression. hyper-util's pooled client does
//! all of that; a general-purpose client on top would only add what a user compiles.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::uri::Scheme;
use http::{Request, Response, Uri, header};
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Incoming;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tower_service::Service;

/// The error type bodies and connectors report.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A request body: bytes in memory or a caller's stream.
pub(crate) type Body = UnsyncBoxBody<Bytes, BoxError>;

/// Idle pooled connections are closed after this (Paragon's load balancers close theirs first).
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// The client every clone of a `Paragon` shares.
#[derive(Clone)]
pub(crate) struct Transport {
    client: Client<HttpsConnector<ProxyConnector>, Body>,
    proxies: Option<Arc<Matcher>>,
}

/// How to build a [`Transport`].
pub(crate) struct Options {
    pub(crate) connect_timeout: Duration,
    /// Read `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`.
    pub(crate) env_proxies: bool,
}

impl Transport {
    pub(crate) fn new(options: &Options) -> Result<Transport, String> {
        let proxies = options.env_proxies.then(|| Arc::new(Matcher::from_env()));
        let mut http = HttpConnector::new();
        // The https connector below hands https URIs to this one for the TCP part.
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(options.connect_timeout));
        let connector = ProxyConnector {
            http,
            proxies: proxies.clone(),
        };
        // aws-lc-rs is the SDK's one crypto stack; the operating system's verifier trusts the
        // roots installed on the machine, corporate ones included, as every other program does.
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_platform_verifier(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|e| format!("cannot set up TLS: {e}"))?
            .https_or_http();
        #[cfg(feature = "http2")]
        let https = https.enable_all_versions();
        #[cfg(not(feature = "http2"))]
        let https = https.enable_http1();
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(https.wrap_connector(connector));
        Ok(Transport { client, proxies })
    }

    /// Sends one request; the answer's body is still to be read.
    pub(crate) async fn send(
        &self,
        mut request: Request<Body>,
    ) -> Result<Response<Incoming>, hyper_util::client::legacy::Error> {
        // A plain-http request through a proxy goes to the proxy itself, which wants its
        // credentials on the request (an https one gets them on the CONNECT instead).
        if request.uri().scheme() == Some(&Scheme::HTTP)
            && let Some(auth) = self
                .proxies
                .as_ref()
                .and_then(|m| m.intercept(request.uri()))
                .and_then(|i| i.basic_auth().cloned())
        {
            request
                .headers_mut()
                .insert(header::PROXY_AUTHORIZATION, auth);
        }
        self.client.request(request).await
    }
}

/// Opens the TCP connection: directly, through a `CONNECT` tunnel of the proxy the environment
/// names for an https destination, or to that proxy itself for an http one.
#[derive(Clone)]
struct ProxyConnector {
    http: HttpConnector,
    proxies: Option<Arc<Matcher>>,
}

type Connecting = Pin<Box<dyn Future<Output = Result<Proxied, BoxError>> + Send>>;

impl Service<Uri> for ProxyConnector {
    type Response = Proxied;
    type Error = BoxError;
    type Future = Connecting;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // `HttpConnector` is always ready; each call clones it.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Connecting {
        let intercept = self.proxies.as_ref().and_then(|m| m.intercept(&dst));
        let mut http = self.http.clone();
        Box::pin(async move {
            let Some(proxy) = intercept else {
                return Ok(Proxied::direct(http.call(dst).await?));
            };
            if proxy.uri().scheme() != Some(&Scheme::HTTP) {
                return Err(format!(
                    "the proxy {}://{} from the environment is not supported: use an http:// proxy",
                    proxy.uri().scheme_str().unwrap_or(""),
                    proxy.uri().host().unwrap_or(""),
                )
                .into());
            }
            if dst.scheme() == Some(&Scheme::HTTPS) {
                let mut tunnel = Tunnel::new(proxy.uri().clone(), http);
                if let Some(auth) = proxy.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                std::future::poll_fn(|cx| tunnel.poll_ready(cx)).await?;
                Ok(Proxied::direct(tunnel.call(dst).await?))
            } else {
                let io = http.call(proxy.uri().clone()).await?;
                Ok(Proxied { io, forward: true })
            }
        })
    }
}

/// A connection, marked when requests on it go to a forward proxy (hyper then writes the
/// request target in absolute form).
struct Proxied {
    io: TokioIo<TcpStream>,
    forward: bool,
}

impl Proxied {
    fn direct(io: TokioIo<TcpStream>) -> Proxied {
        Proxied { io, forward: false }
    }
}

impl Connection for Proxied {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.forward)
    }
}

impl Read for Proxied {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl Write for Proxied {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }
}

/// Parses a URL the SDK built, percent-encoding what a URI may not carry literally (spaces,
/// quotes, braces, non-ASCII) the way browsers and the `url` crate do.
pub(crate) fn uri(url: &str) -> Result<Uri, http::uri::InvalidUri> {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    // Everything a URI may carry literally stays; `%` too, so existing escapes are kept.
    const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~')
        .remove(b'!')
        .remove(b'$')
        .remove(b'&')
        .remove(b'\'')
        .remove(b'(')
        .remove(b')')
        .remove(b'*')
        .remove(b'+')
        .remove(b',')
        .remove(b';')
        .remove(b'=')
        .remove(b':')
        .remove(b'@')
        .remove(b'/')
        .remove(b'?')
        .remove(b'%')
        .remove(b'[')
        .remove(b']');
    utf8_percent_encode(url, ESCAPED).to_string().parse()
}
