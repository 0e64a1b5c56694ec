//! The intermediate representation lowering builds and emission renders: Rust types built from
//! the spec's schemas ([`Def`], [`Ty`]) and operations ([`Op`]). Nothing here reads the spec or
//! writes tokens: `lower` (spec → IR) and `emit` (IR → tokens) meet here.

/// A Rust type as used in a field, parameter or body.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Ty {
    Bool,
    I64,
    /// `format: uint64` (or `uint32`, `uint16`, `uint8`, `uint`): values past `i64::MAX` fit.
    U64,
    F64,
    String,
    Value,
    Vec(Box<Ty>),
    Map(Box<Ty>),
    Option(Box<Ty>),
    Named(usize),
}

impl Ty {
    /// The type when a value may be absent or `null` (`Value` already holds `null`).
    pub(crate) fn optional(self) -> Ty {
        match self {
            Ty::Option(_) | Ty::Value => self,
            other => Ty::Option(Box::new(other)),
        }
    }
}

/// A named type in the `types` module.
#[derive(Debug, Clone)]
pub(crate) struct Def {
    pub(crate) name: String,
    pub(crate) doc: Vec<String>,
    pub(crate) deprecated: bool,
    pub(crate) kind: DefKind,
}

#[derive(Debug, Clone)]
pub(crate) enum DefKind {
    Struct {
        fields: Vec<Field>,
        /// `additionalProperties` next to named properties: a flattened map.
        extra: Option<(String, Ty)>,
        /// The field for members the schema does not name, when it allows them
        /// (`additionalProperties` absent, `true` or `{}`): a sent struct keeps them in a
        /// flattened map of JSON values, so a body the schema accepts is sent whole.
        open: Option<String>,
    },
    /// A string enum; unknown values are kept in a last `UnknownValue(String)` variant.
    StringEnum {
        variants: Vec<(String, String)>,
    },
    /// `oneOf`/`anyOf`: untagged, or dispatched on `discriminator` (property, value → variant index).
    Union {
        variants: Vec<(String, Ty)>,
        discriminator: Option<(String, Vec<(String, usize)>)>,
    },
    Alias(Ty),
}

#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) wire: String,
    pub(crate) ty: Ty,
    /// Not required: `Option`, skipped when `None`.
    pub(crate) optional: bool,
    pub(crate) doc: Vec<String>,
    pub(crate) deprecated: bool,
}

impl Ty {
    /// The named types a value of this type holds by value (not behind a `Vec` or map): the
    /// edges of a cycle that needs a `Box`.
    pub(crate) fn by_value_refs(&self, out: &mut Vec<usize>) {
        match self {
            Ty::Named(id) => out.push(*id),
            Ty::Option(inner) => inner.by_value_refs(out),
            _ => {}
        }
    }

    /// Every named type this type mentions, at any depth.
    pub(crate) fn all_refs(&self, out: &mut Vec<usize>) {
        match self {
            Ty::Named(id) => out.push(*id),
            Ty::Option(inner) | Ty::Vec(inner) | Ty::Map(inner) => inner.all_refs(out),
            _ => {}
        }
    }
}

impl Def {
    /// The named types this def refers to, each field's, variant's or alias's type read by `f`
    /// ([`Ty::by_value_refs`] or [`Ty::all_refs`]).
    pub(crate) fn edges(&self, f: fn(&Ty, &mut Vec<usize>)) -> Vec<usize> {
        let mut out = Vec::new();
        match &self.kind {
            DefKind::Struct { fields, extra, .. } => {
                for field in fields {
                    f(&field.ty, &mut out);
                }
                if let Some((_, t)) = extra {
                    f(t, &mut out);
                }
            }
            DefKind::Union { variants, .. } => {
                for (_, t) in variants {
                    f(t, &mut out);
                }
            }
            DefKind::Alias(t) => f(t, &mut out),
            DefKind::StringEnum { .. } => {}
        }
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum In {
    Path,
    Query,
    Header,
}

pub(crate) struct Param {
    pub(crate) name: String,
    pub(crate) wire: String,
    pub(crate) location: In,
    pub(crate) ty: Ty,
    pub(crate) required: bool,
    pub(crate) explode: bool,
    pub(crate) doc: Vec<String>,
}

pub(crate) enum BodyKind {
    Json(Ty),
    Form(Ty),
    Raw(String),
}

pub(crate) struct Body {
    pub(crate) kind: BodyKind,
    pub(crate) required: bool,
    pub(crate) doc: Vec<String>,
}

pub(crate) enum Resp {
    Unit,
    Json(Ty),
    Bytes,
}

/// Another media type of an operation's success answer, asked for with its own `send_*` call.
pub(crate) struct Alternate {
    /// The media type, sent as `Accept`.
    pub(crate) media: String,
    /// The builder method's name (`send_sarif`), unique among the builder's methods.
    pub(crate) method: String,
    /// What that answer decodes into: the media type's own JSON type, or bytes.
    pub(crate) response: Resp,
}

/// A documented error status: exact code, a range (`4XX`) or `default`.
pub(crate) enum Status {
    Code(u16),
    Range(u16),
    Default,
}

pub(crate) struct Op {
    /// The JSON pointer of the operation in the spec (`/paths/~1pets/get`).
    pub(crate) pointer: String,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) fn_name: String,
    pub(crate) builder: String,
    pub(crate) doc: Vec<String>,
    pub(crate) deprecated: bool,
    pub(crate) params: Vec<Param>,
    pub(crate) body: Option<Body>,
    pub(crate) response: Resp,
    /// The success answer's other media types, each with its own `send_*` call.
    pub(crate) alternates: Vec<Alternate>,
    pub(crate) errors: Vec<(String, Status, Ty)>,
    pub(crate) error_enum: Option<String>,
    /// The absolute server of an operation that is not on the base URL.
    pub(crate) server: Option<String>,
    /// Whether the spec documents a 3xx answer, which `send_with_response()` then returns.
    pub(crate) redirects: bool,
}

impl Op {
    /// Types this operation sends: parameters and the request body.
    pub(crate) fn sent(&self) -> impl Iterator<Item = &Ty> {
        let body = self.body.as_ref().and_then(|b| match &b.kind {
            BodyKind::Json(t) | BodyKind::Form(t) => Some(t),
            BodyKind::Raw(_) => None,
        });
        self.params.iter().map(|p| &p.ty).chain(body)
    }

    /// The JSON pointer of the operation in the spec.
    pub(crate) fn pointer(&self) -> &str {
        &self.pointer
    }

    /// The generated method's name.
    pub(crate) fn fn_name(&self) -> &str {
        &self.fn_name
    }

    /// The type the typed call decodes for a response `status` (`200`, `404`, `default`), if
    /// it decodes one as JSON.
    pub(crate) fn decoded(&self, status: &str) -> Option<&Ty> {
        let up = status.to_ascii_uppercase();
        if up.starts_with('2') {
            return match &self.response {
                Resp::Json(t) => Some(t),
                _ => None,
            };
        }
        let code = up.parse::<u16>().ok();
        let range = up
            .as_bytes()
            .first()
            .filter(|d| d.is_ascii_digit())
            .map(|d| u16::from(d - b'0') * 100);
        let find = |wanted: &dyn Fn(&Status) -> bool| {
            self.errors
                .iter()
                .find(|(_, s, _)| wanted(s))
                .map(|(_, _, t)| t)
        };
        find(&|s| matches!(s, Status::Code(n) if Some(*n) == code))
            .or_else(|| find(&|s| matches!(s, Status::Range(n) if Some(*n) == range)))
            .or_else(|| find(&|s| matches!(s, Status::Default)))
    }

    /// The type the `send_*` call of a success answer's other `media` type decodes, if it
    /// decodes one as JSON.
    pub(crate) fn decoded_as(&self, media: &str) -> Option<&Ty> {
        self.alternates
            .iter()
            .find(|a| a.media == media)
            .and_then(|a| match &a.response {
                Resp::Json(t) => Some(t),
                _ => None,
            })
    }

    /// The type of the request body when it is sent as JSON or a form.
    pub(crate) fn body_ty(&self) -> Option<&Ty> {
        self.body.as_ref().and_then(|b| match &b.kind {
            BodyKind::Json(t) | BodyKind::Form(t) => Some(t),
            BodyKind::Raw(_) => None,
        })
    }

    /// Types this operation receives: the success body and documented error bodies.
    pub(crate) fn received(&self) -> impl Iterator<Item = &Ty> {
        let ok = match &self.response {
            Resp::Json(t) => Some(t),
            _ => None,
        };
        let alternates = self.alternates.iter().filter_map(|a| match &a.response {
            Resp::Json(t) => Some(t),
            _ => None,
        });
        ok.into_iter()
            .chain(alternates)
            .chain(self.errors.iter().map(|(_, _, t)| t))
    }
}
