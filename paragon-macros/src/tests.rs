//! Expansion tests: the derive reuses the manifest model and the code generator, so on the same
//! definition it must produce what they produce.

use std::path::Path;

use paragon_codegen::Generator;
use paragon_manifest::Manifest;
use proc_macro2::TokenStream;
use quote::quote;

fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    crate::derive(&syn::parse2(input)?)
}

fn specs() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs"))
}

/// The item `mod <name> { … }` in an expansion.
fn module(expansion: &TokenStream, name: &str) -> syn::ItemMod {
    let file: syn::File = syn::parse2(expansion.clone()).expect("expansion parses");
    file.items
        .into_iter()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == name => Some(m),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no module `{name}` in the expansion"))
}

#[test]
fn spec_operations_are_the_code_generators() {
    let expansion = expand(quote! {
        #[integration(
            manifest = "tests/specs/tasklab/integration.toml",
            spec = "tests/specs/tasklab/openapi.yaml",
            tags = ["tasks"],
            module = "tasklab",
        )]
        pub struct TaskLab;
    })
    .expect("expands");
    let generated = Generator::new(specs().join("tasklab"))
        .module_name("tasklab")
        .tag("tasks")
        .render()
        .expect("codegen");
    let body: syn::File = syn::parse_str(&generated.source).expect("generated parses");
    let expected = quote!(pub mod tasklab { #body });
    let derived = module(&expansion, "tasklab");
    assert_eq!(quote!(#derived).to_string(), expected.to_string());
    assert!(
        generated.operations >= 5,
        "tag filter kept {}",
        generated.operations
    );
    // Every file read is tracked, so editing one recompiles the user's crate.
    let text = expansion.to_string();
    for file in ["integration.toml", "openapi.yaml", "icon.svg"] {
        assert!(text.contains(file), "{file} is not tracked: {text}");
    }
}

#[test]
fn inline_attributes_build_the_manifest_of_the_file() {
    let expansion = expand(quote! {
        #[integration(
            name = "Task Lab",
            description = "Manage tasks in Task Lab, the demo task tracker used by the examples and tests.",
            color = "#6D28D9",
            auth = oauth2(
                authorization_url = "{env.TASKLAB_URL}/oauth/authorize",
                token_url = "{env.TASKLAB_URL}/oauth/token",
                client_id = "{env.TASKLAB_CLIENT_ID}",
                client_secret = "{env.TASKLAB_CLIENT_SECRET}",
                scopes = ["tasks:read", "tasks:write"],
                pkce = true,
                client_auth = "body",
            ),
            base_url = "{env.TASKLAB_URL}/v1",
            test_endpoint = "/me",
            authorization = bearer(token = "{credential.access_token}"),
        )]
        struct TaskLab;
    })
    .expect("expands");
    let toml = definition_literal(&expansion).expect("definition_toml returns a literal");
    let inline = Manifest::parse(
        &toml,
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/integration.toml"),
    )
    .unwrap_or_else(|d| panic!("{d}\n{toml}"));
    let from_file = Manifest::load(specs().join("tasklab")).expect("tasklab manifest");
    assert_eq!(inline.slug(), from_file.slug());
    assert_eq!(inline.description(), from_file.description());
    assert_eq!(inline.color(), from_file.color());
    assert_eq!(inline.test_endpoint(), from_file.test_endpoint());
    assert_eq!(
        format!("{:?}", inline.auth()),
        format!("{:?}", from_file.auth())
    );
    assert_eq!(
        format!("{:?}", inline.api()),
        format!("{:?}", from_file.api())
    );
    assert_eq!(
        format!("{:?}", inline.inputs()),
        format!("{:?}", from_file.inputs())
    );
}

#[test]
fn errors_point_at_the_attribute_that_wrote_the_field() {
    let err = expand(quote! {
        #[integration(name = "Acme", base_url = "https://api.acme.com", test_endpoint = "me", auth = none)]
        struct Acme;
    })
    .expect_err("a relative test endpoint is refused");
    let messages: Vec<String> = err.into_iter().map(|e| e.to_string()).collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].starts_with(
            "the test endpoint must be a path relative to the base URL: it must start with `/`"
        ),
        "{messages:?}"
    );
}

/// The string literal `definition_toml()` returns.
fn definition_literal(expansion: &TokenStream) -> Option<String> {
    let file: syn::File = syn::parse2(expansion.clone()).ok()?;
    file.items.iter().find_map(|item| match item {
        syn::Item::Impl(i) => i.items.iter().find_map(|it| match it {
            syn::ImplItem::Fn(f) if f.sig.ident == "definition_toml" => first_str(quote!(#f)),
            _ => None,
        }),
        _ => None,
    })
}

fn first_str(tokens: TokenStream) -> Option<String> {
    tokens.into_iter().find_map(|tt| match tt {
        proc_macro2::TokenTree::Literal(l) => syn::parse_str::<syn::LitStr>(&l.to_string())
            .ok()
            .map(|s| s.value()),
        proc_macro2::TokenTree::Group(g) => first_str(g.stream()),
        _ => None,
    })
}

#[test]
fn every_manifest_shape_has_an_attribute_form() {
    let expansion = expand(quote! {
        #[integration(
            name = "Acme, Inc.",
            description = "Acme's \"billing\" API, with commas, [brackets] and {braces}.",
            auth = client_credentials(
                token_url = "https://{input.subdomain}.acme.com/oauth/token",
                client_id = "{input.client_id}",
                client_secret = "{input.client_secret}",
                scopes = ["read", "write"],
                client_auth = "basic",
                token_params(audience = "https://api.acme.com", resource = "billing"),
                capture = ["instance_url"],
            ),
            input(key = "subdomain", label = "Subdomain", pattern = "[a-z0-9-]+", help = "e.g. acme, from acme.acme.com"),
            input(key = "client_id", label = "Client id"),
            input(key = "client_secret", label = "Client secret", kind = "password"),
            input(key = "region", label = "Region", kind = "select", options = ["us", "eu"], default = "us", required = false),
            base_url = "{credential.instance_url}/v2",
            test_endpoint = "/me?fields=id,name",
            authorization = query(access_token = "{credential.access_token}", region = "{input.region}"),
            headers("Accept" = "application/json", "X-Acme-Version" = "2024-01-01"),
        )]
        struct Acme;
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let toml = definition_literal(&expansion).expect("definition");
    let m = Manifest::parse(
        &toml,
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/integration.toml"),
    )
    .unwrap_or_else(|d| panic!("{d}\n{toml}"));
    assert_eq!(m.slug(), "custom.acmeinc");
    assert_eq!(
        m.description(),
        "Acme's \"billing\" API, with commas, [brackets] and {braces}."
    );
    assert_eq!(m.test_endpoint(), "/me?fields=id,name");
    assert_eq!(m.inputs().len(), 4);
    assert_eq!(m.input("region").map(|i| i.required()), Some(false));
    let auth = format!("{:?}", m.auth());
    for part in [
        "ClientCredentials",
        "audience",
        "billing",
        "instance_url",
        "Basic",
    ] {
        assert!(auth.contains(part), "{part} missing from {auth}");
    }
    let api = format!("{:?}", m.api());
    for part in ["Query", "access_token", "region", "X-Acme-Version"] {
        assert!(api.contains(part), "{part} missing from {api}");
    }
}

#[test]
fn credential_placements_have_an_attribute_form() {
    let manifest = |authorization: TokenStream| {
        let expansion = expand(quote! {
            #[integration(
                name = "Placed",
                description = "The key in the body, the query and a renamed Basic pair.",
                auth = api_key,
                input(key = "api_key", label = "API key", kind = "password"),
                input(key = "account", label = "Account"),
                base_url = "https://api.placed.example",
                test_endpoint = "/me",
                authorization = #authorization,
            )]
            struct Placed;
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let toml = definition_literal(&expansion).expect("definition");
        Manifest::parse(
            &toml,
            Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/integration.toml"),
        )
        .unwrap_or_else(|d| panic!("{d}\n{toml}"))
    };
    let body = manifest(quote!(body(
        key = "{input.api_key}",
        auth(account = "{input.account}")
    )));
    let types: Vec<&str> = body.api().authorizations().map(|a| a.as_str()).collect();
    assert_eq!(types, ["body"]);
    assert_eq!(body.api().authorization().templates().len(), 2);

    let basic = manifest(quote!(basic(
        username = "{input.api_key}",
        scheme = "Keypair",
        params(account = "{input.account}"),
    )));
    let types: Vec<&str> = basic.api().authorizations().map(|a| a.as_str()).collect();
    assert_eq!(types, ["basic", "query"]);
    assert!(format!("{:?}", basic.api()).contains("\"Keypair\""));
}
