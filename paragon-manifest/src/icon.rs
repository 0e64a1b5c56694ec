//! The app icon must be an SVG document.

/// Icons larger than this are refused (an icon is a few kilobytes).
pub(crate) const MAX_ICON_BYTES: u64 = 256 * 1024;

const SVG_NAMESPACE: &str = "http://www.w3.org/2000/svg";

/// Checks that `text` is a well-formed XML document whose root is an SVG `<svg>` element.
pub(crate) fn check_svg(text: &str) -> Result<(), String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| format!("not well-formed XML ({e})"))?;
    let root = doc.root_element();
    let tag = root.tag_name();
    if tag.name() != "svg" {
        return Err(format!(
            "the root element is `<{}>`, not `<svg>`",
            tag.name()
        ));
    }
    if tag.namespace() != Some(SVG_NAMESPACE) {
        return Err(format!(
            "the `<svg>` element is not in the SVG namespace `{SVG_NAMESPACE}`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_svg;

    #[test]
    fn svg_documents_only() {
        assert!(
            check_svg(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>"#).is_ok()
        );
        assert!(check_svg("<svg/>").unwrap_err().contains("namespace"));
        assert!(check_svg("<html/>").unwrap_err().contains("`<html>`"));
        assert!(check_svg("\u{89}PNG").unwrap_err().contains("XML"));
        assert!(check_svg("").is_err());
    }
}
