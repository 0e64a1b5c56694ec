//! Stage 3: the generated code. It names only `::paragon_sdk` and `::std` paths.

use proc_macro2::TokenStream;
use quote::quote;

use crate::model::Model;
use crate::valid::{Checked, Definition};

pub(crate) fn integration(model: &Model, checked: &Checked) -> TokenStream {
    let ident = &model.ident;
    let vis = &model.vis;
    let slug = &checked.slug;
    let test_endpoint = &checked.test_endpoint;
    let definition = match &checked.definition {
        Definition::Text(text) => quote!(#text),
        Definition::File(path) => {
            let path = path.display().to_string();
            quote!(::std::include_str!(#path))
        }
    };
    // `include_bytes!` makes cargo rebuild the crate when one of these files changes.
    let tracked = checked.tracked.iter().map(|p| {
        let p = p.display().to_string();
        quote!(
            const _: &[u8] = ::std::include_bytes!(#p);
        )
    });
    let client = checked.client.as_ref().map(|c| {
        let module = &c.module;
        let items = &c.items;
        let doc = format!(
            " A typed client for [`{ident}`]'s API, calling through `paragon` (a user handle)."
        );
        quote! {
            #vis mod #module {
                #items
            }

            impl #ident {
                #[doc = #doc]
                #vis fn client(paragon: &::paragon_sdk::Paragon) -> #module::Client {
                    #module::Client::with_integration(
                        ::std::clone::Clone::clone(paragon),
                        <Self as ::paragon_sdk::Integration>::NAME,
                    )
                }
            }
        }
    });
    quote! {
        impl ::paragon_sdk::Integration for #ident {
            const NAME: &'static str = #slug;
            const TEST_ENDPOINT: &'static str = #test_endpoint;

            fn definition_toml() -> ::std::option::Option<&'static str> {
                ::std::option::Option::Some(#definition)
            }
        }

        #(#tracked)*
        #client
    }
}
