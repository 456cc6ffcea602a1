//! Telegram HTML that is safe by construction: outside text can only enter
//! through [`Html::text`] (escaped) or a tag builder that escapes it, so no
//! session name, screen or task can inject markup into a message.

use std::fmt;

/// A piece of Telegram HTML (parse mode `HTML`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Html(String);

impl Html {
    /// Markup written in this program; a `'static` literal cannot carry
    /// outside text.
    pub fn raw(markup: &'static str) -> Html {
        Html(markup.to_owned())
    }

    /// Outside text, escaped.
    pub fn text(text: &str) -> Html {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '&' => out.push_str("&amp;"),
                '"' => out.push_str("&quot;"),
                c => out.push(c),
            }
        }
        Html(out)
    }

    pub fn bold(inner: Html) -> Html {
        Html::wrap("b", inner)
    }

    pub fn italic(inner: Html) -> Html {
        Html::wrap("i", inner)
    }

    /// Inline code.
    pub fn code(text: &str) -> Html {
        Html::wrap("code", Html::text(text))
    }

    /// A preformatted block.
    pub fn pre(text: &str) -> Html {
        Html::wrap("pre", Html::text(text))
    }

    /// A quote the phone shows folded, to be opened with a tap.
    pub fn expandable_quote(inner: Html) -> Html {
        Html(format!("<blockquote expandable>{}</blockquote>", inner.0))
    }

    fn wrap(tag: &str, inner: Html) -> Html {
        Html(format!("<{tag}>{}</{tag}>", inner.0))
    }

    /// Appends more HTML.
    pub fn push(&mut self, more: Html) -> &mut Self {
        self.0.push_str(&more.0);
        self
    }

    /// Appends markup written in this program.
    pub fn push_raw(&mut self, markup: &'static str) -> &mut Self {
        self.0.push_str(markup);
        self
    }

    /// Appends outside text, escaped.
    pub fn push_text(&mut self, text: &str) -> &mut Self {
        self.push(Html::text(text))
    }

    /// `parts` one after the other, `separator` between them.
    pub fn join(parts: impl IntoIterator<Item = Html>, separator: &'static str) -> Html {
        let mut out = Html::default();
        for (i, part) in parts.into_iter().enumerate() {
            if i > 0 {
                out.push_raw(separator);
            }
            out.push(part);
        }
        out
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Html {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_text_is_escaped_wherever_it_enters() {
        let evil = "<b>&\"x\"</b>";
        let escaped = "&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;";
        assert_eq!(Html::text(evil).as_str(), escaped);
        assert_eq!(Html::code(evil).as_str(), format!("<code>{escaped}</code>"));
        assert_eq!(Html::pre(evil).as_str(), format!("<pre>{escaped}</pre>"));
        let mut line = Html::bold(Html::text(evil));
        line.push_raw(" · ").push_text(evil);
        assert_eq!(line.as_str(), format!("<b>{escaped}</b> · {escaped}"));
        assert_eq!(
            Html::join([Html::text("a"), Html::text("<")], ", ").as_str(),
            "a, &lt;"
        );
    }
}
