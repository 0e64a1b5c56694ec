//! Emitting operations: one client method and one request builder per [`Op`] (its fields and
//! setters, `into_request`, the error enum of its documented error bodies, and the page
//! streams of one that pages).

use crate::emit::types::{doc_attrs, ty_tokens};
use crate::ir::{Alternate, Body, BodyKind, Def, In, Op, Param, Resp, Status, Ty};
use crate::names::ident;
use crate::pagination::{Items, Next, Paging, QueryParam};
use proc_macro2::{Literal, TokenStream};
use quote::quote;

fn is_string(t: &Ty) -> bool {
    matches!(t, Ty::String)
}

/// How the `builders` module names the generated types.
fn types_prefix() -> TokenStream {
    quote!(types::)
}

/// The client's methods and the `builders` module.
pub(crate) fn render(ops: &[Op], defs: &[Def]) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let mut methods = Vec::new();
    let mut items = Vec::new();
    for op in ops {
        let paging = paging_of(op, defs);
        let follows_urls = paging
            .as_ref()
            .is_some_and(|p| !matches!(p.next, Next::Cursor { .. }));
        methods.push(client_method(op, defs, follows_urls));
        let error = op.error_enum.as_ref().map(|e| error_enum(op, e, defs));
        let (err_ty, decode, decode_fn) = match error {
            None => (quote!(Infallible), quote!(super::__no_error), quote!()),
            Some((item, decode_fn)) => {
                items.push(item);
                let e = ident(op.error_enum.as_deref().unwrap_or_default());
                (quote!(#e), quote!(Self::decode_error), decode_fn)
            }
        };
        let errors = ErrorParts {
            ty: err_ty,
            decode,
            decode_fn,
        };
        items.push(builder(op, defs, paging.as_ref(), follows_urls, &errors));
    }
    (methods, items)
}

/// The type of the request body as the builder holds it.
fn body_ty(body: &Body, defs: &[Def]) -> TokenStream {
    match &body.kind {
        BodyKind::Json(t) | BodyKind::Form(t) => ty_tokens(t, defs, None, &types_prefix()),
        BodyKind::Raw(_) => quote!(::paragon_sdk::__private::bytes::Bytes),
    }
}

/// The client method: takes the required parameters (and a required body), returns the builder.
fn client_method(op: &Op, defs: &[Def], follows_urls: bool) -> TokenStream {
    let fn_name = ident(&op.fn_name);
    let builder = ident(&op.builder);
    let doc = doc_attrs(&op.doc);
    let dep = if op.deprecated {
        quote!(#[deprecated])
    } else {
        quote!()
    };
    let mut args = Vec::new();
    let mut inits = Vec::new();
    for p in op.params.iter().filter(|p| p.required) {
        let n = ident(&p.name);
        if is_string(&p.ty) {
            args.push(quote!(#n: impl Into<String>));
            inits.push(quote!(#n: #n.into(),));
        } else {
            let t = ty_tokens(&p.ty, defs, None, &types_prefix());
            args.push(quote!(#n: #t));
            inits.push(quote!(#n,));
        }
    }
    for p in op.params.iter().filter(|p| !p.required) {
        let n = ident(&p.name);
        inits.push(quote!(#n: None,));
    }
    if let Some(body) = &op.body {
        if body.required {
            let t = body_ty(body, defs);
            args.push(quote!(body: #t));
            inits.push(quote!(body: Some(body),));
        } else {
            inits.push(quote!(body: None,));
        }
        if let BodyKind::Raw(media) = &body.kind {
            inits.push(quote!(content_type: String::from(#media),));
        }
    }
    if follows_urls {
        inits.push(quote!(next_url: None,));
    }
    quote!(
        #doc #dep
        pub fn #fn_name(&self, #(#args),*) -> builders::#builder<'_> {
            builders::#builder { client: self, #(#inits)* }
        }
    )
}

/// The builder's fields and its setters for the optional parameters and body.
fn fields_and_setters(
    op: &Op,
    defs: &[Def],
    follows_urls: bool,
) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let types = types_prefix();
    let mut fields = vec![quote!(pub(super) client: &'a super::Client,)];
    let mut setters = Vec::new();
    for p in &op.params {
        let n = ident(&p.name);
        let t = ty_tokens(&p.ty, defs, None, &types);
        if p.required {
            fields.push(quote!(pub(super) #n: #t,));
            continue;
        }
        let inner = match &p.ty {
            Ty::Option(i) => ty_tokens(i, defs, None, &types),
            _ => t.clone(),
        };
        fields.push(quote!(pub(super) #n: Option<#inner>,));
        let pdoc = doc_attrs(&p.doc);
        let setter = if matches!(p.ty, Ty::String) {
            quote!(pub fn #n(mut self, value: impl Into<String>) -> Self {
                self.#n = Some(value.into());
                self
            })
        } else {
            quote!(pub fn #n(mut self, value: #inner) -> Self {
                self.#n = Some(value);
                self
            })
        };
        setters.push(quote!(#pdoc #setter));
    }
    if let Some(b) = &op.body {
        let t = body_ty(b, defs);
        fields.push(quote!(pub(super) body: Option<#t>,));
        if !b.required {
            let bdoc = doc_attrs(&b.doc);
            setters.push(quote!(
                #bdoc
                pub fn body(mut self, value: #t) -> Self {
                    self.body = Some(value);
                    self
                }
            ));
        }
        if let BodyKind::Raw(_) = b.kind {
            fields.push(quote!(pub(super) content_type: String,));
            setters.push(quote!(
                /// Sets the body's media type (for `multipart/form-data`, include the boundary).
                pub fn content_type(mut self, value: impl Into<String>) -> Self {
                    self.content_type = value.into();
                    self
                }
            ));
        }
    }
    if follows_urls {
        fields.push(quote!(pub(super) next_url: Option<String>,));
    }
    (fields, setters)
}

/// The body of the builder's `into_request`: the path, query, headers and body it sends.
fn into_request(op: &Op, follows_urls: bool) -> TokenStream {
    let (fmt, path_args) = path_format(&op.path, &op.params);
    let path_expr = if path_args.is_empty() {
        quote!(#fmt)
    } else {
        quote!(&::std::format!(#fmt, #(#path_args),*))
    };
    let method = ident(&op.method);
    let query: Vec<TokenStream> = op
        .params
        .iter()
        .filter(|p| p.location == In::Query)
        .map(|p| {
            let n = ident(&p.name);
            let wire = &p.wire;
            let explode = p.explode;
            quote!(super::__query(&mut query, #wire, &self.#n, #explode);)
        })
        .collect();
    let query_stmt = if let Some(server) = &op.server {
        // The proxy drops the route's query when the full-URL header replaces the path, so
        // the query travels inside that URL.
        quote!(
            let mut query = Vec::new();
            #(#query)*
            request = ::paragon_sdk::__private::codegen::on_server(request, #server, path, &query);
        )
    } else if query.is_empty() {
        quote!()
    } else {
        quote!(
            let mut query = Vec::new();
            #(#query)*
            request = request.query(&query);
        )
    };
    let headers = op
        .params
        .iter()
        .filter(|p| p.location == In::Header)
        .map(|p| {
            let n = ident(&p.name);
            let wire = &p.wire;
            quote!(if let Some(value) = super::__text(&self.#n) {
                request = request.header(#wire, value);
            })
        });
    let body_stmt = body_statement(op);
    let mutable = if query.is_empty()
        && !follows_urls
        && op.body.is_none()
        && !op.params.iter().any(|p| p.location == In::Header)
    {
        quote!()
    } else {
        quote!(mut)
    };
    let request_stmt = if op.server.is_some() {
        quote!(
            let path: &str = #path_expr;
            let mut request = super::__request(self.client, ::paragon_sdk::Method::#method, path);
        )
    } else {
        quote!(let #mutable request = super::__request(self.client, ::paragon_sdk::Method::#method, #path_expr);)
    };
    let next_url_stmt = if follows_urls {
        quote!(if let Some(url) = self.next_url {
            request = request.full_url(url);
        })
    } else {
        quote!()
    };
    quote!(
        #request_stmt
        #query_stmt
        #(#headers)*
        #body_stmt
        #next_url_stmt
        request
    )
}

/// How the builder puts its body on the request: JSON, a form, or bytes with their media type.
fn body_statement(op: &Op) -> TokenStream {
    match op.body.as_ref().map(|b| &b.kind) {
        None => quote!(),
        Some(BodyKind::Json(_)) => quote!(if let Some(body) = &self.body {
            request = request.json(body);
        }),
        Some(BodyKind::Form(_)) => quote!(if let Some(body) = &self.body {
            request = request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(super::__form(body));
        }),
        Some(BodyKind::Raw(_)) => quote!(if let Some(body) = self.body {
            request = request.header("content-type", self.content_type).body(body);
        }),
    }
}

/// The type a success answer resolves to, and the SDK function that reads it.
fn success(response: &Resp, defs: &[Def]) -> (TokenStream, TokenStream) {
    match response {
        Resp::Unit => (quote!(()), quote!(super::__read_unit)),
        Resp::Bytes => (
            quote!(::paragon_sdk::__private::bytes::Bytes),
            quote!(super::__read_bytes),
        ),
        Resp::Json(t) => (
            ty_tokens(t, defs, None, &types_prefix()),
            quote!(super::__read_json),
        ),
    }
}

/// How a builder names and decodes its operation's error bodies.
struct ErrorParts {
    /// The error type (`Infallible` when none is documented).
    ty: TokenStream,
    /// The function that decodes one.
    decode: TokenStream,
    /// The builder's `decode_error`, when it has one.
    decode_fn: TokenStream,
}

/// The request builder: its struct, setters, sending, streams and `IntoFuture`.
fn builder(
    op: &Op,
    defs: &[Def],
    paging: Option<&Paging>,
    follows_urls: bool,
    errors: &ErrorParts,
) -> TokenStream {
    let builder = ident(&op.builder);
    let (fields, setters) = fields_and_setters(op, defs, follows_urls);
    let into_request = into_request(op, follows_urls);
    let (ok_ty, read_fn) = success(&op.response, defs);
    let alternates = op.alternates.iter().map(|a| alternate(a, op, defs, errors));
    let reads_body = !matches!(op.response, Resp::Unit);
    let ErrorParts {
        ty: err_ty,
        decode,
        decode_fn,
    } = errors;
    let bdoc = format!(
        " Request builder for [`Client::{}`](super::Client::{}): set optional parameters, then `.await` it (or `.send_with_response().await` for the status and headers too).",
        crate::names::unraw(&op.fn_name),
        op.fn_name
    );
    let (derive_clone, streams) = match paging {
        Some(paging) => (
            quote!(#[derive(::std::clone::Clone)]),
            streams(op, paging, &ok_ty, err_ty, defs),
        ),
        None => (quote!(), quote!()),
    };
    let redirects = op.redirects;
    let rdoc = if redirects {
        " Sends for the provider's status and headers beside the typed body; a documented 3xx is an answer too."
    } else {
        " Sends for the provider's status and headers (`Link`, rate limits) beside the typed body."
    };
    quote!(
        #[doc = #bdoc]
        #[must_use = "a request builder does nothing until awaited"]
        #derive_clone
        pub struct #builder<'a> { #(#fields)* }
        impl<'a> #builder<'a> {
            #(#setters)*
            #[doc = #rdoc]
            pub fn send_with_response(self) -> ::paragon_sdk::WithResponse<#ok_ty, #err_ty> {
                super::__send_with_response(self.into_request(), #decode, #read_fn, #redirects)
            }
            fn into_request(self) -> ::paragon_sdk::ProxyRequest {
                #into_request
            }
            #(#alternates)*
            #decode_fn
            #streams
        }
        impl<'a> ::std::future::IntoFuture for #builder<'a> {
            type Output = Result<#ok_ty, super::Error<#err_ty>>;
            type IntoFuture = ::paragon_sdk::BodyOnly<#ok_ty, #err_ty>;
            fn into_future(self) -> Self::IntoFuture {
                super::__send_body(self.into_request(), #decode, #read_fn, #reads_body)
            }
        }
    )
}

/// The `send_*` call (and its `_with_response` twin) of another media type of the success
/// answer: the same request with that media type as `Accept`, decoded into its own type.
fn alternate(a: &Alternate, op: &Op, defs: &[Def], errors: &ErrorParts) -> TokenStream {
    let (ty, read_fn) = success(&a.response, defs);
    let (err_ty, decode) = (&errors.ty, &errors.decode);
    let media = &a.media;
    let send = ident(&a.method);
    let with_response = ident(&format!("{}_with_response", a.method));
    let redirects = op.redirects;
    let doc = format!(" Asks for `{media}` (as `Accept`) and decodes that answer.");
    let rdoc = format!(
        " [`{}`](Self::{}) with the provider's status and headers beside the body.",
        a.method, a.method
    );
    quote!(
        #[doc = #doc]
        pub fn #send(self) -> ::paragon_sdk::BodyOnly<#ty, #err_ty> {
            super::__send_body(self.into_request().header("accept", #media), #decode, #read_fn, true)
        }
        #[doc = #rdoc]
        pub fn #with_response(self) -> ::paragon_sdk::WithResponse<#ty, #err_ty> {
            super::__send_with_response(self.into_request().header("accept", #media), #decode, #read_fn, #redirects)
        }
    )
}

/// How the operation pages, if it does (see [`crate::pagination`]).
fn paging_of(op: &Op, defs: &[Def]) -> Option<Paging> {
    // An `Option` body (some success answers have none) has no page to read.
    let Resp::Json(body) = &op.response else {
        return None;
    };
    if matches!(body, Ty::Option(_)) {
        return None;
    }
    let query: Vec<QueryParam<'_>> = op
        .params
        .iter()
        .filter(|p| p.location == In::Query)
        .map(|p| QueryParam {
            name: &p.name,
            wire: &p.wire,
            ty: &p.ty,
        })
        .collect();
    crate::pagination::detect(&op.method, body, &query, defs)
}

/// The builder's `pages`, `items`, and the two functions they walk the pages with.
fn streams(
    op: &Op,
    paging: &Paging,
    page_ty: &TokenStream,
    err_ty: &TokenStream,
    defs: &[Def],
) -> TokenStream {
    let item_ty = ty_tokens(paging.item(), defs, None, &types_prefix());
    let required = |name: &str| op.params.iter().any(|p| p.name == name && p.required);
    let set = |name: &str, value: TokenStream| {
        let n = ident(name);
        if required(name) {
            quote!(self.#n = #value;)
        } else {
            quote!(self.#n = Some(#value);)
        }
    };
    let text = |field: &str, optional: bool| {
        let f = ident(field);
        if optional {
            quote!(let next = answer.body().#f.clone().filter(|t| !t.is_empty())?;)
        } else {
            quote!(
                let next = answer.body().#f.clone();
                if next.is_empty() {
                    return None;
                }
            )
        }
    };
    let (items_expr, count_expr) = match &paging.items {
        Items::Body(_) => (quote!(page), quote!(answer.body().len())),
        Items::Field {
            field, optional, ..
        } => {
            let f = ident(field);
            if *optional {
                (
                    quote!(page.#f.unwrap_or_default()),
                    quote!(answer.body().#f.as_ref().map_or(0, |items| items.len())),
                )
            } else {
                (quote!(page.#f), quote!(answer.body().#f.len()))
            }
        }
    };
    let next_body = match &paging.next {
        Next::Cursor {
            field,
            optional,
            param,
        } => {
            let take = text(field, *optional);
            let set = set(param, quote!(next));
            quote!(#take #set Some(self))
        }
        Next::Url { field, optional } => {
            let take = text(field, *optional);
            quote!(#take self.next_url = Some(next); Some(self))
        }
        Next::Page { param } => {
            let n = ident(param);
            let current = if required(param) {
                quote!(self.#n)
            } else {
                quote!(self.#n.unwrap_or(1))
            };
            let set = set(param, quote!(#current + 1));
            quote!(
                if let Some(url) = answer.next_link() {
                    self.next_url = Some(url);
                    return Some(self);
                }
                if self.next_url.is_some() || answer.headers().contains_key("link") || #count_expr == 0 {
                    return None;
                }
                #set
                Some(self)
            )
        }
    };
    let pdoc = format!(" {}", paging.doc());
    quote!(
        #[doc = #pdoc]
        /// At most `max_pages` pages; the stream ends after an error.
        pub fn pages(self, max_pages: usize) -> ::paragon_sdk::Pages<Self, #page_ty, #err_ty> {
            ::paragon_sdk::__private::pagination::pages(self, max_pages, Self::send_with_response, Self::next_page)
        }
        /// The items of [`pages`](Self::pages), at most `max_items`; an empty page ends the stream.
        pub fn items(self, max_items: usize) -> ::paragon_sdk::Items<Self, #page_ty, #item_ty, #err_ty> {
            ::paragon_sdk::__private::pagination::items(self, max_items, Self::send_with_response, Self::next_page, Self::page_items)
        }
        fn next_page(mut self, answer: &::paragon_sdk::OperationResponse<#page_ty>) -> Option<Self> {
            #next_body
        }
        fn page_items(page: #page_ty) -> Vec<#item_ty> {
            #items_expr
        }
    )
}

/// The enum of an operation's documented error bodies, and the builder's `decode_error`,
/// which picks its variant by status: exact codes first, then ranges, then `default`.
fn error_enum(op: &Op, name: &str, defs: &[Def]) -> (TokenStream, TokenStream) {
    let types = types_prefix();
    let e = ident(name);
    let mut arms = Vec::new();
    for pass in 0..3 {
        for (variant, status, _) in &op.errors {
            let v = ident(variant);
            let pat = match (pass, status) {
                (0, Status::Code(n)) => quote!(#n),
                (1, Status::Range(n)) => {
                    let hi = n + 99;
                    quote!(#n..=#hi)
                }
                (2, Status::Default) => quote!(_),
                _ => continue,
            };
            arms.push(quote!(#pat => e.provider_json().map(#e::#v),));
        }
    }
    let has_default = op
        .errors
        .iter()
        .any(|(_, s, _)| matches!(s, Status::Default));
    let fallback = if has_default {
        quote!()
    } else {
        quote!(_ => None,)
    };
    let variants = op.errors.iter().map(|(v, status, t)| {
        let vi = ident(v);
        let t = ty_tokens(t, defs, None, &types);
        let d = match status {
            Status::Code(n) => format!(" Status {n}."),
            Status::Range(n) => format!(" A {}xx status.", n / 100),
            Status::Default => " Any other error status.".to_string(),
        };
        quote!(#[doc = #d] #vi(#t),)
    });
    let edoc = format!(
        " The documented error responses of [`Client::{}`](super::Client::{}).",
        crate::names::unraw(&op.fn_name),
        op.fn_name
    );
    let item = quote!(
        #[doc = #edoc]
        #[derive(::std::fmt::Debug, ::std::clone::Clone)]
        pub enum #e { #(#variants)* }
    );
    let decode_fn = quote!(
        fn decode_error(e: &::paragon_sdk::Error) -> Option<#e> {
            match e.provider_response()?.0.as_u16() {
                #(#arms)*
                #fallback
            }
        }
    );
    (item, decode_fn)
}

/// `format!` string and arguments for a path template.
fn path_format(path: &str, params: &[Param]) -> (Literal, Vec<TokenStream>) {
    let mut fmt = String::new();
    let mut args = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        fmt.push_str(&rest[..start].replace('}', "}}"));
        let var = &rest[start + 1..start + len];
        match params
            .iter()
            .find(|p| p.location == In::Path && p.wire == var)
        {
            Some(p) => {
                let n = ident(&p.name);
                fmt.push_str("{}");
                args.push(quote!(super::__segment(&self.#n)));
            }
            None => fmt.push_str(&format!("{{{{{var}}}}}")),
        }
        rest = &rest[start + len + 1..];
    }
    fmt.push_str(&rest.replace('{', "{{").replace('}', "}}"));
    if args.is_empty() {
        fmt = fmt.replace("{{", "{").replace("}}", "}");
    }
    (Literal::string(&fmt), args)
}
