use super::*;

/// The HTML of `markdown`, as a string to compare.
fn html(markdown: &str) -> String {
    to_html(markdown).to_string()
}

/// A fitted answer with its HTML as strings, to compare.
#[derive(Debug, PartialEq, Eq)]
enum Shown {
    Whole(String),
    Folded(String),
    File { head: String, markdown: String },
}

fn shown(fitted: Fitted) -> Shown {
    match fitted {
        Fitted::Whole(html) => Shown::Whole(html.to_string()),
        Fitted::Folded(html) => Shown::Folded(html.to_string()),
        Fitted::File { head, markdown } => Shown::File {
            head: head.to_string(),
            markdown,
        },
    }
}

#[test]
fn headings_paragraphs_and_emphasis() {
    assert_eq!(
        html("# Title\n\nSome *text* and **bold**, _it_ and ~~gone~~.\n\n### Sub\nmore"),
        "<b>Title</b>\n\nSome <i>text</i> and <b>bold</b>, <i>it</i> and <s>gone</s>.\n\n<b>Sub</b>\n\nmore"
    );
    assert_eq!(
        html("line one\nline two  \nthree"),
        "line one\nline two\nthree"
    );
    assert_eq!(html("a\n\n---\n\nb"), "a\n\n──────────\n\nb");
    assert_eq!(html(""), "");
}

#[test]
fn all_text_is_escaped() {
    assert_eq!(
        html(r#"a < b && c > d "q" <br> &amp;"#),
        "a &lt; b &amp;&amp; c &gt; d &quot;q&quot; &lt;br&gt; &amp;"
    );
    assert_eq!(
        html("<div class=\"x\">\n<b>hi</b>\n</div>"),
        "&lt;div class=&quot;x&quot;&gt;\n&lt;b&gt;hi&lt;/b&gt;\n&lt;/div&gt;"
    );
}

#[test]
fn inline_code_is_never_inside_other_tags() {
    assert_eq!(
        html("**run `cargo test` now**"),
        "<b>run </b><code>cargo test</code><b> now</b>"
    );
    assert_eq!(html("**`x<y`**"), "<code>x&lt;y</code>");
    assert_eq!(
        html("# The `main` fn"),
        "<b>The </b><code>main</code><b> fn</b>"
    );
    assert_eq!(
        html("*a **b `c` d** e*"),
        "<i>a <b>b </b></i><code>c</code><i><b> d</b> e</i>"
    );
}

#[test]
fn code_blocks_keep_their_language() {
    assert_eq!(
        html("```rust\nfn main() {\n    println!(\"<hi>\");\n}\n```"),
        "<pre><code class=\"language-rust\">fn main() {\n    println!(&quot;&lt;hi&gt;&quot;);\n}</code></pre>"
    );
    assert_eq!(
        html("```\nplain & simple\n```"),
        "<pre>plain &amp; simple</pre>"
    );
    assert_eq!(
        html("a\n\n```rust\n```\n\n```-\nb\n```"),
        "a\n\n<pre>b</pre>"
    );
    assert_eq!(html("    indented\n    code"), "<pre>indented\ncode</pre>");
    assert_eq!(
        html("```c++ {.numbers}\nx\n```"),
        "<pre><code class=\"language-c++\">x</code></pre>"
    );
    assert_eq!(
        html("```\"><script>\nx\n```"),
        "<pre><code class=\"language-script\">x</code></pre>"
    );
}

#[test]
fn lists_nest_and_number() {
    assert_eq!(
        html("- a\n- b\n  - c\n    - d\n- e"),
        "• a\n• b\n   ◦ c\n      ▪ d\n• e"
    );
    assert_eq!(html("3. x\n4. y\n\nafter"), "3. x\n4. y\n\nafter");
    assert_eq!(
        html("1. one\n\n   more\n2. two\n   ```sh\n   ls\n   ```"),
        "1. one\nmore\n2. two\n<pre><code class=\"language-sh\">ls</code></pre>"
    );
    assert_eq!(html("- [ ] todo\n- [x] done"), "• ☐ todo\n• ☑ done");
    assert_eq!(html("- ```\n  code\n  ```"), "• <pre>code</pre>");
}

#[test]
fn links_only_to_allowed_schemes() {
    assert_eq!(
        html("[site](https://example.com/?a=1&b=\"2\") and [local](src/main.rs)"),
        "<a href=\"https://example.com/?a=1&amp;b=&quot;2&quot;\">site</a> and local"
    );
    assert_eq!(
        html("<https://x.y/z> <me@x.y> [js](javascript:alert(1)) [tg](tg://user?id=1)"),
        "<a href=\"https://x.y/z\">https://x.y/z</a> <a href=\"mailto:me@x.y\">me@x.y</a> js <a href=\"tg://user?id=1\">tg</a>"
    );
    assert_eq!(
        html("[`code` **b**](HTTPS://c.d) [](https://e.f)"),
        "<a href=\"HTTPS://c.d\">code <b>b</b></a> <a href=\"https://e.f\">https://e.f</a>"
    );
    assert_eq!(
        html("![diagram](https://x.y/d.png) ![local](d.png)"),
        "<a href=\"https://x.y/d.png\">diagram</a> local"
    );
}

#[test]
fn blockquotes_never_nest() {
    assert_eq!(
        html("> quoted **bold**\n>\n> > nested\n> - item\n\nafter"),
        "<blockquote>quoted <b>bold</b>\n\nnested\n\n• item</blockquote>\n\nafter"
    );
    assert_eq!(html("a\n\n>\n\nb"), "a\n\nb");
}

#[test]
fn tables_become_aligned_text() {
    assert_eq!(
        html("| Name | Count |\n|:-----|------:|\n| **alpha** | 1 |\n| `b` | 22 |"),
        "<pre>Name  | Count\n------+------\nalpha |     1\nb     |    22</pre>"
    );
    assert_eq!(
        html("| a | b |\n|---|---|\n| <x> & [l](https://l.m) | |"),
        "<pre>a       | b\n--------+--\n&lt;x&gt; &amp; l |</pre>"
    );
}

#[test]
fn an_agent_answer() {
    let answer = "## Summary\n\nFixed the **login** bug in `src/auth.rs`:\n\n1. The session check used `<` instead of `<=`.\n2. Added a test:\n\n```rust\n#[test]\nfn expiry() {}\n```\n\nRun `cargo test` to check. See [the issue](https://github.com/o/r/issues/11).";
    assert_eq!(
        html(answer),
        "<b>Summary</b>\n\nFixed the <b>login</b> bug in <code>src/auth.rs</code>:\n\n1. The session check used <code>&lt;</code> instead of <code>&lt;=</code>.\n2. Added a test:\n\n<pre><code class=\"language-rust\">#[test]\nfn expiry() {}</code></pre>\n\nRun <code>cargo test</code> to check. See <a href=\"https://github.com/o/r/issues/11\">the issue</a>."
    );
}

#[test]
fn visible_length_counts_utf16_text_only() {
    assert_eq!(visible_len(&to_html("**a<b** [😀](https://x.y)")), 6);
    assert_eq!(
        plain("<pre><code class=\"language-x\">&quot;&amp;&gt;</code></pre>"),
        "\"&>"
    );
}

const ANSWER: &str = "First paragraph.\n\nSecond paragraph.\n\n> quote\n\nThird.";

#[test]
fn short_answers_are_whole() {
    let limits = Limits {
        fold: 100,
        max: 200,
    };
    assert_eq!(
        shown(fit(ANSWER, limits)),
        Shown::Whole(
            "First paragraph.\n\nSecond paragraph.\n\n<blockquote>quote</blockquote>\n\nThird."
                .into()
        )
    );
    // One block cannot fold: whole while it fits in a message.
    let one = "word ".repeat(10);
    assert_eq!(
        shown(fit(&one, Limits { fold: 10, max: 100 })),
        Shown::Whole(one.trim_end().into())
    );
}

#[test]
fn longer_answers_fold_their_tail() {
    assert_eq!(
        shown(fit(ANSWER, Limits { fold: 20, max: 100 })),
        Shown::Folded(
            "First paragraph.\n<blockquote expandable>Second paragraph.\n\nquote\n\nThird.</blockquote>"
                .into()
        )
    );
    // The head always has a block, even one longer than `fold`.
    assert_eq!(
        shown(fit(ANSWER, Limits { fold: 5, max: 100 })),
        Shown::Folded(
            "First paragraph.\n<blockquote expandable>Second paragraph.\n\nquote\n\nThird.</blockquote>"
                .into()
        )
    );
}

#[test]
fn answers_past_the_max_go_to_a_file() {
    assert_eq!(
        shown(fit(ANSWER, Limits { fold: 40, max: 45 })),
        Shown::File {
            head: "First paragraph.\n\nSecond paragraph.".into(),
            markdown: ANSWER.into()
        }
    );
    let long_first = "A <very> long first paragraph.\n\nmore";
    assert_eq!(
        shown(fit(long_first, Limits { fold: 10, max: 20 })),
        Shown::File {
            head: "A &lt;very&gt;…".into(),
            markdown: long_first.into()
        }
    );
    let emoji = format!("{}\n\nx", "😀".repeat(20));
    assert_eq!(
        shown(fit(&emoji, Limits { fold: 6, max: 20 })),
        Shown::File {
            head: "😀😀…".into(),
            markdown: emoji.clone()
        }
    );
}

/// Checks that `html` is what Telegram accepts: only its tags, balanced,
/// nested as it allows, attributes safe, and `&` only in known entities.
fn check(html: &str) -> Result<(), String> {
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(['<', '>', '&']) {
        let at = &rest[i..];
        let context: String = at.chars().take(20).collect();
        if at.starts_with('>') {
            return Err(format!("bare > at {context:?}"));
        }
        if let Some(after) = at.strip_prefix('&') {
            let known = ["lt;", "gt;", "amp;", "quot;"]
                .iter()
                .any(|e| after.starts_with(e));
            if !known {
                return Err(format!("bad entity at {context:?}"));
            }
            rest = after;
            continue;
        }
        let end = at.find('>').ok_or("unclosed tag")?;
        let tag = &at[1..end];
        rest = &at[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().ok_or_else(|| format!("stray </{name}>"))?;
            if open != name {
                return Err(format!("</{name}> closes <{open}>"));
            }
            continue;
        }
        let name = tag.split(' ').next().unwrap_or("");
        if rest.starts_with(&format!("</{name}>")) {
            return Err(format!("empty <{tag}>"));
        }
        let valid = match tag {
            "b" | "i" | "u" | "s" | "code" | "pre" | "blockquote" | "blockquote expandable" => true,
            _ if tag.starts_with("a href=\"") && tag.ends_with('"') => {
                let href = &tag[8..tag.len() - 1];
                !href.contains(['"', '<', '>'])
                    && SCHEMES.iter().any(|s| href.to_lowercase().starts_with(s))
            }
            _ if tag.starts_with("code class=\"language-") && tag.ends_with('"') => {
                stack.last() == Some(&"pre")
                    && tag[21..tag.len() - 1]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_+#.-".contains(c))
            }
            _ => false,
        };
        if !valid {
            return Err(format!("tag <{tag}> not allowed"));
        }
        let inside = |names: &[&str]| stack.iter().any(|open| names.contains(open));
        if inside(&["code", "pre"]) && !(name == "code" && stack.last() == Some(&"pre")) {
            return Err(format!("<{tag}> inside code or pre"));
        }
        if name == "blockquote" && inside(&["blockquote"]) {
            return Err("nested blockquote".into());
        }
        if name == "a" && inside(&["a"]) {
            return Err("link in a link".into());
        }
        if (name == "code" || name == "pre") && inside(&["b", "i", "u", "s", "a"]) {
            return Err(format!("<{name}> inside formatting: {stack:?}"));
        }
        stack.push(name);
    }
    match stack.is_empty() {
        true => Ok(()),
        false => Err(format!("left open: {stack:?}")),
    }
}

#[test]
fn the_checker_rejects_what_telegram_rejects() {
    for bad in [
        "<b>x",
        "<b><i>x</b></i>",
        "<p>x</p>",
        "<a href=\"javascript:x\">x</a>",
        "<blockquote><blockquote>x</blockquote></blockquote>",
        "<code><b>x</b></code>",
        "<b><code>x</code></b>",
        "a & b",
        "a > b",
        "<code class=\"language-x\">x</code>",
        "<pre><code class=\"language-x\"></code></pre>",
        "a<b></b>",
    ] {
        assert!(check(bad).is_err(), "{bad}");
    }
    check("<pre><code class=\"language-c++\">x</code></pre><b>a <a href=\"https://x\">y</a></b>")
        .unwrap();
}

/// Markdown pieces agents write, and pieces that stress the renderer.
const PIECES: [&str; 40] = [
    "word ",
    "Ünïcödé ",
    "😀 ",
    "**",
    "*",
    "_",
    "__",
    "~~",
    "`",
    "```",
    "```rust\n",
    "\n",
    "\n\n",
    "- ",
    "  - ",
    "1. ",
    "10) ",
    "> ",
    "> > ",
    "# ",
    "### ",
    "[link](https://x.y/?a=1&b=2)",
    "[bad](javascript:x)",
    "<https://a.b>",
    "<me@x.y>",
    "![img](https://i.j/k.png)",
    "<b>",
    "</i>",
    "&amp;",
    "& ",
    "<",
    ">",
    "\"",
    "| a | b |\n|---|---|\n| 1 | 2 |\n",
    "---\n",
    "- [ ] ",
    "    code\n",
    "\\*",
    "[",
    "](",
];

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 33) as usize
    }
}

#[test]
fn generated_markdown_always_gives_valid_html() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // How many cases exercised each construct, so the generator cannot
    // quietly stop producing them.
    let mut seen = [
        ("<blockquote>", 0),
        ("<pre>", 0),
        ("<code", 0),
        ("<a href", 0),
        ("<b>", 0),
        ("<i>", 0),
        ("<s>", 0),
    ];
    let (mut folded, mut files) = (0, 0);
    for case in 0..3000 {
        let pieces = 1 + rng.next() % 60;
        let markdown: String = (0..pieces)
            .map(|_| PIECES[rng.next() % PIECES.len()])
            .collect();
        let rendered = html(&markdown);
        if let Err(e) = check(&rendered) {
            panic!("case {case}: {e}\nmarkdown: {markdown:?}\nhtml: {rendered:?}");
        }
        for (tag, count) in &mut seen {
            *count += usize::from(rendered.contains(*tag));
        }
        let fold = 1 + rng.next() % 200;
        let limits = Limits {
            fold,
            max: fold + rng.next() % 400,
        };
        let fitted = fit(&markdown, limits);
        let (html, fits) = match &fitted {
            Fitted::Whole(whole) => (whole, visible_len(whole) <= limits.max),
            Fitted::Folded(html) => {
                folded += 1;
                (html, visible_len(html) <= limits.max)
            }
            Fitted::File { head, markdown: md } => {
                files += 1;
                (head, visible_len(head) <= limits.fold && md == &markdown)
            }
        };
        if let Err(e) = check(html.as_str()) {
            panic!("case {case} {limits:?}: {e}\nmarkdown: {markdown:?}\nfitted: {fitted:?}");
        }
        assert!(fits, "case {case} {limits:?}: too long\nfitted: {fitted:?}");
    }
    for (tag, count) in seen {
        assert!(count > 50, "{tag} in only {count} cases");
    }
    assert!(
        folded > 100 && files > 100,
        "{folded} folded, {files} files"
    );
}
