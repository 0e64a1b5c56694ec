//! Streams over paginated list operations: what a generated builder's `pages(max)` and
//! `items(max)` return. Generated code says how to find the next page (a cursor or URL in the
//! body, an RFC 8288 `Link: rel="next"` header, a page number); these streams walk the pages.
//!
//! Named stream types rather than `async` blocks per operation, so that a client with hundreds
//! of list operations stays cheap to compile.

use crate::OperationError;
use crate::operation_response::{OperationResponse, WithResponse};
use futures_util::Stream;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Sends one page's request.
type Fetch<B, P, E> = fn(B) -> WithResponse<P, E>;
/// The request of the next page, from this page's request and answer; `None` on the last.
type Next<B, P> = fn(B, &OperationResponse<P>) -> Option<B>;

/// The pages of a list operation, at most the cap given to `pages(max)`; the stream ends after
/// the last page, at the cap, or after an error.
///
/// ```no_run
/// # async fn run(pages: paragon_sdk::Pages<(), Vec<String>, std::convert::Infallible>) {
/// use paragon_sdk::__private::futures_util::StreamExt;
/// let mut pages = pages;
/// while let Some(page) = pages.next().await {
///     println!("{} items", page.map(|p| p.len()).unwrap_or(0));
/// }
/// # }
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct Pages<B, P, E> {
    next_request: Option<B>,
    in_flight: Option<(B, WithResponse<P, E>)>,
    left: usize,
    fetch: Fetch<B, P, E>,
    next: Next<B, P>,
}

impl<B, P, E> std::fmt::Debug for Pages<B, P, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("left", &self.left)
            .finish_non_exhaustive()
    }
}

impl<B: Clone + Unpin, P, E> Stream for Pages<B, P, E> {
    type Item = Result<P, OperationError<E>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some((_, sending)) = &mut this.in_flight {
                let Poll::Ready(answer) = Pin::new(sending).poll(cx) else {
                    return Poll::Pending;
                };
                let Some((kept, _)) = this.in_flight.take() else {
                    return Poll::Ready(None);
                };
                return Poll::Ready(Some(match answer {
                    Ok(answer) => {
                        this.left -= 1;
                        if this.left > 0 {
                            this.next_request = (this.next)(kept, &answer);
                        }
                        Ok(answer.into_body())
                    }
                    Err(error) => {
                        this.left = 0;
                        Err(error)
                    }
                }));
            }
            match this.next_request.take() {
                Some(request) if this.left > 0 => {
                    let kept = request.clone();
                    this.in_flight = Some((kept, (this.fetch)(request)));
                }
                _ => return Poll::Ready(None),
            }
        }
    }
}

/// The items of a list operation's pages, at most the cap given to `items(max)`; an empty page
/// ends the stream, so an API that keeps answering empty pages with a cursor does not loop.
#[must_use = "streams do nothing unless polled"]
pub struct Items<B, P, I, E> {
    pages: Pages<B, P, E>,
    buffered: std::vec::IntoIter<I>,
    left: usize,
    items_of: fn(P) -> Vec<I>,
}

impl<B, P, I, E> std::fmt::Debug for Items<B, P, I, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Items")
            .field("left", &self.left)
            .finish_non_exhaustive()
    }
}

impl<B: Clone + Unpin, P, I: Unpin, E> Stream for Items<B, P, I, E> {
    type Item = Result<I, OperationError<E>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.left == 0 {
                return Poll::Ready(None);
            }
            if let Some(item) = this.buffered.next() {
                this.left -= 1;
                return Poll::Ready(Some(Ok(item)));
            }
            let Poll::Ready(page) = Pin::new(&mut this.pages).poll_next(cx) else {
                return Poll::Pending;
            };
            match page {
                Some(Ok(page)) => {
                    let items = (this.items_of)(page);
                    if items.is_empty() {
                        this.left = 0;
                    }
                    this.buffered = items.into_iter();
                }
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                None => this.left = 0,
            }
        }
    }
}

/// What generated `pages()` and `items()` methods call. Not a stable API: only generated code
/// uses it.
pub mod codegen {
    use super::*;

    /// The pages from `first` on, at most `max_pages` of them, following `next`.
    pub fn pages<B, P, E>(
        first: B,
        max_pages: usize,
        fetch: fn(B) -> WithResponse<P, E>,
        next: fn(B, &OperationResponse<P>) -> Option<B>,
    ) -> Pages<B, P, E> {
        Pages {
            next_request: Some(first),
            in_flight: None,
            left: max_pages,
            fetch,
            next,
        }
    }

    /// The items of the pages from `first` on, at most `max_items` of them.
    pub fn items<B, P, I, E>(
        first: B,
        max_items: usize,
        fetch: fn(B) -> WithResponse<P, E>,
        next: fn(B, &OperationResponse<P>) -> Option<B>,
        items_of: fn(P) -> Vec<I>,
    ) -> Items<B, P, I, E> {
        Items {
            // Every page before the last yields at least one item, so `max_items` pages suffice.
            pages: pages(first, max_items, fetch, next),
            buffered: Vec::new().into_iter(),
            left: max_items,
            items_of,
        }
    }
}
