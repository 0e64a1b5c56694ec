//! Streams over paginated list operations: what a generated builder's `pages(max)` and
//! `items(max)` return. Generated code says how to find the next page (a cursor or URL in the
//! body, an RFC 8288 `Link: rel="next"` header, a page number); this module walks the pages.

use crate::OperationError;
use crate::operation_response::OperationResponse;
use futures_util::Stream;
use std::pin::Pin;

/// A boxed stream, as generated builders return it.
pub type BoxStream<'a, T> = Pin<Box<dyn Stream<Item = T> + Send + 'a>>;

/// What generated `pages()` and `items()` methods call. Not a stable API: only generated code
/// uses it.
pub mod codegen {
    use super::*;
    use crate::operation::codegen::BoxFuture;
    use futures_util::StreamExt;

    /// Sends one page's request.
    pub type Fetch<'a, B, P, E> =
        fn(B) -> BoxFuture<'a, Result<OperationResponse<P>, OperationError<E>>>;
    /// The request of the next page, from this page's request and answer; `None` on the last.
    pub type Next<B, P> = fn(B, &OperationResponse<P>) -> Option<B>;

    /// The pages from `first` on, at most `max_pages` of them, following `next`. The stream
    /// ends after an error.
    pub fn pages<'a, B, P, E>(
        first: B,
        max_pages: usize,
        fetch: Fetch<'a, B, P, E>,
        next: Next<B, P>,
    ) -> BoxStream<'a, Result<P, OperationError<E>>>
    where
        B: Clone + Send + 'a,
        P: Send + 'a,
        E: Send + 'a,
    {
        let start = (max_pages > 0).then_some(first);
        let stream =
            futures_util::stream::unfold((start, max_pages), move |(request, left)| async move {
                let request = request?;
                let kept = request.clone();
                match fetch(request).await {
                    Ok(answer) => {
                        let following = if left > 1 { next(kept, &answer) } else { None };
                        Some((Ok(answer.into_body()), (following, left - 1)))
                    }
                    Err(error) => Some((Err(error), (None, 0))),
                }
            });
        Box::pin(stream)
    }

    /// The items of the pages from `first` on, at most `max_items` of them. An empty page
    /// ends the stream, so an API that keeps answering empty pages with a cursor does not
    /// loop.
    pub fn items<'a, B, P, I, E>(
        first: B,
        max_items: usize,
        fetch: Fetch<'a, B, P, E>,
        next: Next<B, P>,
        items_of: fn(P) -> Vec<I>,
    ) -> BoxStream<'a, Result<I, OperationError<E>>>
    where
        B: Clone + Send + 'a,
        P: Send + 'a,
        I: Send + 'a,
        E: Send + 'a,
    {
        // Every page before the last yields at least one item, so `max_items` pages suffice.
        let stream = pages(first, max_items, fetch, next)
            .map(move |page| match page {
                Ok(page) => {
                    let items = items_of(page);
                    let done = items.is_empty();
                    (done, items.into_iter().map(Ok).collect::<Vec<_>>())
                }
                Err(error) => (false, vec![Err(error)]),
            })
            .take_while(|(done, _)| std::future::ready(!*done))
            .flat_map(|(_, items)| futures_util::stream::iter(items))
            .take(max_items);
        Box::pin(stream)
    }
}
