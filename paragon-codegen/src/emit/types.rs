//! Emitting the `types` module: one struct, enum or alias per [`Def`].

use crate::cycles::Cycles;
use crate::ir::{Def, DefKind, Ty};
use crate::names::{ident, unraw};
use crate::serde_direction::Serde;
use proc_macro2::TokenStream;
use quote::quote;

/// Paths used by generated code; all absolute so spec types named `String` or `Option` cannot
/// shadow them.
pub(crate) fn value_path() -> TokenStream {
    quote!(::paragon_sdk::__private::serde_json::Value)
}

/// Tokens for a type; `owner` is the def being rendered (for boxing), `prefix` how to reach the
/// `types` module from where the tokens go. Inside `types` (empty prefix) std types are written
/// with absolute paths, since spec types may be called `String` or `Option`; elsewhere the
/// prelude names are safe (the builders namespace reserves them) and keep the code short.
pub(crate) fn ty_tokens(
    ty: &Ty,
    defs: &[Def],
    cycles: Option<(&Cycles, usize)>,
    prefix: &TokenStream,
) -> TokenStream {
    let short = !prefix.is_empty();
    match ty {
        Ty::Bool => quote!(bool),
        Ty::I64 => quote!(i64),
        Ty::U64 => quote!(u64),
        Ty::F64 => quote!(f64),
        Ty::String if short => quote!(String),
        Ty::String => quote!(::std::string::String),
        Ty::Value => value_path(),
        Ty::Vec(inner) => {
            let inner = ty_tokens(inner, defs, None, prefix);
            if short {
                quote!(Vec<#inner>)
            } else {
                quote!(::std::vec::Vec<#inner>)
            }
        }
        Ty::Map(inner) => {
            let inner = ty_tokens(inner, defs, None, prefix);
            if short {
                quote!(::std::collections::BTreeMap<String, #inner>)
            } else {
                quote!(::std::collections::BTreeMap<::std::string::String, #inner>)
            }
        }
        Ty::Option(inner) => {
            let inner = ty_tokens(inner, defs, cycles, prefix);
            if short {
                quote!(Option<#inner>)
            } else {
                quote!(::std::option::Option<#inner>)
            }
        }
        Ty::Named(id) => {
            let name = ident(&defs[*id].name);
            match cycles {
                Some((c, owner)) if c.same(owner, *id) => {
                    quote!(::std::boxed::Box<#prefix #name>)
                }
                _ => quote!(#prefix #name),
            }
        }
    }
}

/// Whether a type implements `Default` without help from the generated types.
fn has_empty_value(t: &Ty) -> bool {
    !matches!(t, Ty::Named(_))
}

pub(crate) fn doc_attrs(doc: &[String]) -> TokenStream {
    let lines = doc.iter().map(|l| {
        let l = if l.is_empty() {
            String::new()
        } else {
            format!(" {l}")
        };
        quote!(#[doc = #l])
    });
    quote!(#(#lines)*)
}

fn deprecated_attr(deprecated: bool) -> TokenStream {
    if deprecated {
        quote!(#[deprecated])
    } else {
        quote!()
    }
}

/// A sent struct with required fields: `new` taking exactly those, then one setter per optional
/// field, so a request body reads `IssuesCreateRequest::new("Bug").body("...")`.
fn constructor(
    name: &str,
    fields: &[crate::ir::Field],
    extra: Option<&(String, Ty)>,
    ty: &dyn Fn(&Ty) -> TokenStream,
) -> TokenStream {
    let type_name = ident(name);
    let mut args = Vec::new();
    let mut inits = Vec::new();
    let mut setters = Vec::new();
    for f in fields {
        let n = ident(&f.name);
        if f.optional {
            inits.push(quote!(#n: None,));
            if unraw(&f.name) == "new" {
                continue; // the constructor's name; the field stays public
            }
            let inner = match &f.ty {
                Ty::Option(inner) => inner.as_ref(),
                other => other,
            };
            let value = argument(inner, ty);
            let sdoc = format!(" Sets `{}`.", f.wire.replace('`', "'"));
            setters.push(quote!(
                #[doc = #sdoc]
                pub fn #n(mut self, value: #value) -> Self {
                    self.#n = Some(::std::convert::Into::into(value));
                    self
                }
            ));
        } else {
            let arg = argument(&f.ty, ty);
            args.push(quote!(#n: #arg));
            inits.push(quote!(#n: ::std::convert::Into::into(#n),));
        }
    }
    if let Some((n, _)) = extra {
        let n = ident(n);
        inits.push(quote!(#n: ::std::default::Default::default(),));
    }
    let doc = format!(
        " A `{}` from its required fields; the optional ones start empty and have setters.",
        unraw(name)
    );
    quote!(
        impl #type_name {
            #[doc = #doc]
            pub fn new(#(#args),*) -> Self {
                Self { #(#inits)* }
            }
            #(#setters)*
        }
    )
}

/// The type a constructor or setter takes for a field: `impl Into<…>` for text and named types
/// (so `"Bug"` fills a string-or-array union), the type itself otherwise (so `vec!["a".into()]`
/// still infers).
fn argument(t: &Ty, ty: &dyn Fn(&Ty) -> TokenStream) -> TokenStream {
    let tokens = ty(t);
    match t {
        Ty::String | Ty::Named(_) => quote!(impl ::std::convert::Into<#tokens>),
        _ => tokens,
    }
}

/// What every item of one def shares: its name, docs and derives, and how its fields' types
/// are written (boxed inside a cycle).
struct Item<'d> {
    defs: &'d [Def],
    cycles: &'d Cycles,
    id: usize,
    def: &'d Def,
    name: proc_macro2::Ident,
    doc: TokenStream,
    dep: TokenStream,
    ser: bool,
    de: bool,
    ser_derive: TokenStream,
    de_derive: TokenStream,
    derive: TokenStream,
    tolerant: bool,
}

impl<'d> Item<'d> {
    fn new(
        defs: &'d [Def],
        cycles: &'d Cycles,
        serde: &[Serde],
        id: usize,
        tolerant: bool,
    ) -> Self {
        let def = &defs[id];
        let Serde { ser, de } = serde[id];
        // Derive macros live in the macro namespace: spec types named `Debug` or `Clone` cannot
        // shadow them, and `__Serialize` cannot clash with a generated type name (those never
        // start with `_`).
        let ser_derive = if ser { quote!(__Serialize,) } else { quote!() };
        let de_derive = if de { quote!(__Deserialize,) } else { quote!() };
        let derive = quote!(#[derive(Debug, Clone, #ser_derive #de_derive)]);
        Item {
            defs,
            cycles,
            id,
            def,
            name: ident(&def.name),
            doc: doc_attrs(&def.doc),
            dep: deprecated_attr(def.deprecated),
            ser,
            de,
            ser_derive,
            de_derive,
            derive,
            tolerant,
        }
    }

    /// Tokens for a field's type, boxed when it refers back into this def's cycle.
    fn ty(&self, t: &Ty) -> TokenStream {
        ty_tokens(t, self.defs, Some((self.cycles, self.id)), &quote!())
    }
}

const SERDE_CRATE: &str = "::paragon_sdk::__private::serde";

/// The `types` module's items, one token stream per type (parsed one by one, see `render`).
/// Renders every type. `tolerant`: a required field of a received type whose type has an empty
/// value (`""`, `0`, `false`, `[]`, `{}`) decodes to it when the provider leaves the field out.
pub(crate) fn render(
    defs: &[Def],
    cycles: &Cycles,
    serde: &[Serde],
    tolerant: bool,
) -> Vec<TokenStream> {
    // By name, so that output order does not depend on the order types were discovered in.
    let mut order: Vec<usize> = (0..defs.len()).collect();
    order.sort_by(|a, b| defs[*a].name.cmp(&defs[*b].name));
    let items = order.into_iter().map(|id| {
        let item = Item::new(defs, cycles, serde, id, tolerant);
        match &defs[id].kind {
            DefKind::Struct {
                fields,
                extra,
                open,
            } => struct_item(&item, fields, extra, open),
            DefKind::StringEnum { variants } => string_enum_item(&item, variants),
            DefKind::Union {
                variants,
                discriminator: None,
            } => untagged_union_item(&item, variants),
            DefKind::Union {
                variants,
                discriminator: Some((prop, cases)),
            } => tagged_union_item(&item, variants, prop, cases),
            DefKind::Alias(t) if cycles.newtype[id] => {
                let Item {
                    name,
                    doc,
                    dep,
                    derive,
                    ..
                } = &item;
                let t = item.ty(t);
                let serde_crate = SERDE_CRATE;
                quote!(
                    #doc #dep #derive
                    #[serde(crate = #serde_crate, transparent)]
                    pub struct #name(pub #t);
                )
            }
            DefKind::Alias(t) => {
                let Item { name, doc, dep, .. } = &item;
                let t = item.ty(t);
                quote!(#doc #dep pub type #name = #t;)
            }
        }
    });
    std::iter::once(quote!(use ::paragon_sdk::__private::serde::{Deserialize as __Deserialize, Serialize as __Serialize};))
        .chain(items)
        .collect()
}

/// A struct: its fields (optional ones skipped when `None`), the map of members it does not
/// name, `Default` or a constructor when it is sent.
fn struct_item(
    item: &Item<'_>,
    fields: &[crate::ir::Field],
    extra: &Option<(String, Ty)>,
    open: &Option<String>,
) -> TokenStream {
    let Item {
        def,
        name,
        doc,
        dep,
        derive,
        ser,
        de,
        ser_derive,
        de_derive,
        tolerant,
        ..
    } = item;
    let (ser, de, tolerant) = (*ser, *de, *tolerant);
    let serde_crate = SERDE_CRATE;
    let ty = |t: &Ty| item.ty(t);
    // A sent struct keeps the members its schema allows without naming them.
    let (extra, extra_doc) = match (extra, open) {
        (Some(extra), _) => (Some(extra.clone()), " Properties not named above."),
        (None, Some(n)) if ser => (
            Some((n.clone(), Ty::Value)),
            " Members the schema allows without naming them, sent as they are.",
        ),
        _ => (None, ""),
    };
    let fields_all_optional = fields.iter().all(|f| f.optional);
    let builder = if ser && !fields_all_optional {
        constructor(&def.name, fields, extra.as_ref(), &ty)
    } else {
        quote!()
    };
    let fields = fields.iter().map(|f| {
        let fname = ident(&f.name);
        let fdoc = doc_attrs(&f.doc);
        let fdep = deprecated_attr(f.deprecated);
        let rename = if unraw(&f.name) != f.wire {
            let wire = &f.wire;
            quote!(#[serde(rename = #wire)])
        } else {
            quote!()
        };
        let (t, skip) = if f.optional {
            let inner = match &f.ty {
                Ty::Option(inner) => inner.as_ref(),
                other => other,
            };
            let t = ty(&Ty::Option(Box::new(inner.clone())));
            (
                t,
                quote!(#[serde(default, skip_serializing_if = "::std::option::Option::is_none")]),
            )
        } else if tolerant && de && has_empty_value(&f.ty) {
            (ty(&f.ty), quote!(#[serde(default)]))
        } else {
            (ty(&f.ty), quote!())
        };
        quote!(#fdoc #fdep #rename #skip pub #fname: #t,)
    });
    let extra = extra.as_ref().map(|(n, t)| {
        let n = ident(n);
        let t = ty(t);
        quote!(
            #[doc = #extra_doc]
            #[serde(flatten)]
            pub #n: ::std::collections::BTreeMap<::std::string::String, #t>,
        )
    });
    // A request body whose fields are all optional starts from `Default`.
    let derive = if ser && fields_all_optional {
        quote!(#[derive(Debug, Clone, Default, #ser_derive #de_derive)])
    } else {
        derive.clone()
    };
    quote!(
        #doc #dep #derive
        #[serde(crate = #serde_crate)]
        pub struct #name { #(#fields)* #extra }
        #builder
    )
}

/// A string enum, with a last variant that keeps a value this client does not know.
fn string_enum_item(item: &Item<'_>, variants: &[(String, String)]) -> TokenStream {
    let Item {
        name,
        doc,
        dep,
        ser_derive,
        de_derive,
        ..
    } = item;
    let serde_crate = SERDE_CRATE;
    let vs = variants.iter().map(|(v, wire)| {
        let v = ident(v);
        quote!(#[serde(rename = #wire)] #v,)
    });
    quote!(
        #doc #dep
        #[derive(Debug, Clone, PartialEq, Eq, Hash, #ser_derive #de_derive)]
        #[serde(crate = #serde_crate)]
        pub enum #name {
            #(#vs)*
            /// A value this client does not know, kept as sent.
            #[serde(untagged)]
            UnknownValue(::std::string::String),
        }
    )
}

/// An untagged union: serde tries the variants in order.
fn untagged_union_item(item: &Item<'_>, variants: &[(String, Ty)]) -> TokenStream {
    let Item {
        name,
        doc,
        dep,
        derive,
        ser,
        ..
    } = item;
    let ser = *ser;
    let serde_crate = SERDE_CRATE;
    let ty = |t: &Ty| item.ty(t);
    let vs = variants.iter().map(|(v, t)| {
        let v = ident(v);
        let t = ty(t);
        quote!(#v(#t),)
    });
    // A string-or-array union that is sent takes a `&str` as it is
    // (`title: "Bug".into()`).
    let from_str = variants
        .iter()
        .find(|(_, t)| *t == Ty::String)
        .filter(|_| ser)
        .map(|(v, _)| {
            let v = ident(v);
            quote!(
                impl ::std::convert::From<&str> for #name {
                    fn from(value: &str) -> Self {
                        #name::#v(value.into())
                    }
                }
                impl ::std::convert::From<::std::string::String> for #name {
                    fn from(value: ::std::string::String) -> Self {
                        #name::#v(value)
                    }
                }
            )
        });
    quote!(
        #doc #dep #derive
        #[serde(crate = #serde_crate, untagged)]
        pub enum #name { #(#vs)* }
        #from_str
    )
}

/// A union dispatched on its discriminator property, with an `Unknown` variant for a value
/// this client does not know.
fn tagged_union_item(
    item: &Item<'_>,
    variants: &[(String, Ty)],
    prop: &str,
    cases: &[(String, usize)],
) -> TokenStream {
    let Item {
        def,
        name,
        doc,
        dep,
        ser,
        de,
        ..
    } = item;
    let (ser, de) = (*ser, *de);
    let serde_crate = SERDE_CRATE;
    let ty = |t: &Ty| item.ty(t);
    let vs = variants.iter().map(|(v, t)| {
        let v = ident(v);
        let t = ty(t);
        quote!(#v(#t),)
    });
    let arms = cases.iter().map(|(value, i)| {
        let v = ident(&variants[*i].0);
        quote!(::std::option::Option::Some(#value) => ::paragon_sdk::__private::serde_json::from_value(value).map(#name::#v).map_err(<D::Error as ::paragon_sdk::__private::serde::de::Error>::custom),)
    });
    let about = format!(" Decoded by its `{prop}` property.");
    let unknown_doc = format!(" A `{prop}` value this client does not know, kept as sent.");
    let gap = if def.doc.is_empty() {
        quote!()
    } else {
        quote!(#[doc = ""])
    };
    let ser_attrs = if ser {
        quote!(#[derive(__Serialize)] #[serde(crate = #serde_crate, untagged)])
    } else {
        quote!()
    };
    let de_impl = if de {
        quote!(
            impl<'de> ::paragon_sdk::__private::serde::Deserialize<'de> for #name {
                fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
                where
                    D: ::paragon_sdk::__private::serde::Deserializer<'de>,
                {
                    let value = <::paragon_sdk::__private::serde_json::Value as ::paragon_sdk::__private::serde::Deserialize>::deserialize(deserializer)?;
                    match value.get(#prop).and_then(|v| v.as_str()) {
                        #(#arms)*
                        _ => ::std::result::Result::Ok(#name::Unknown(value)),
                    }
                }
            }
        )
    } else {
        quote!()
    };
    quote!(
        #doc
        #gap
        #[doc = #about]
        #dep
        #[derive(Debug, Clone)]
        #ser_attrs
        pub enum #name {
            #(#vs)*
            #[doc = #unknown_doc]
            Unknown(::paragon_sdk::__private::serde_json::Value),
        }
        #de_impl
    )
}
