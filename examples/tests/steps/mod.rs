//! A browser session's steps for the page-by-page browser tests (the Connect Portal and the
//! workflow view): find, click and wait, expect text, numbered screenshots.

use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

const WAIT: Duration = Duration::from_secs(20);

/// The browser session and where its screenshots go, numbered in order.
pub(crate) struct Steps<'a> {
    pub(crate) client: &'a Client,
    pub(crate) shots: &'a Path,
    pub(crate) count: usize,
}

impl Steps<'_> {
    pub(crate) async fn open(&self, url: &str) -> Result {
        self.client.goto(url).await?;
        Ok(())
    }

    pub(crate) async fn find(&self, css: &str) -> Result<Element> {
        Ok(self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .map_err(|e| format!("no `{css}` on {}: {e}", self.where_am_i()))?)
    }

    pub(crate) fn where_am_i(&self) -> String {
        format!("the page (step {})", self.count)
    }

    /// Clicks, then waits until the page it was on has been replaced.
    pub(crate) async fn click(&self, css: &str) -> Result {
        let before = self.client.find(Locator::Css("html")).await?;
        self.find(css).await?.click().await?;
        let deadline = Instant::now() + WAIT;
        while before.tag_name().await.is_ok() {
            if Instant::now() > deadline {
                return Err(format!("clicking `{css}` did not load a new page").into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.find("body").await?;
        Ok(())
    }

    /// Waits until the element's text contains `text`.
    pub(crate) async fn expect_text(&self, css: &str, text: &str) -> Result {
        let deadline = Instant::now() + WAIT;
        loop {
            let shown = match self.client.find(Locator::Css(css)).await {
                Ok(e) => e.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if shown.contains(text) {
                return Ok(());
            }
            if Instant::now() > deadline {
                let page = self.client.source().await.unwrap_or_default();
                return Err(format!(
                    "expected {text:?} in `{css}`, which shows {shown:?}; page:\n{page}"
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub(crate) async fn shot(&mut self, name: &str) -> Result {
        self.count += 1;
        let png = self.client.screenshot().await?;
        let path = self.shots.join(format!("{:02}-{name}.png", self.count));
        std::fs::write(&path, png).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(())
    }
}

/// `Ok` when `ok`, else the error `message`.
pub(crate) fn check(ok: bool, message: impl Into<String>) -> Result {
    if ok {
        Ok(())
    } else {
        Err(message.into().into())
    }
}
