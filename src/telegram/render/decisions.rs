//! Decision messages: the question with a button per option, and how it ended.

use super::*;

/// The message that asks the user a decision: question, context, and one
/// button per option with the agent's default marked.
pub(crate) fn decision(
    record: &SessionRecord,
    decision: &Decision,
    socket: &str,
) -> (Html, InlineKeyboardMarkup) {
    let prompt = &decision.prompt;
    let mut text = Html::raw("❓ ");
    text.push(Html::bold(Html::text(record.name.as_str())))
        .push_raw(" is waiting for you\n\n")
        .push(Html::bold(Html::text(&truncate(
            &prompt.question,
            MAX_QUESTION,
        ))));
    if let Some(context) = &prompt.context {
        text.push_raw("\n")
            .push(Html::pre(&truncate(context, MAX_CONTEXT)));
    }
    if let Some(call) = &decision.tool {
        text.push(tool_call(call, prompt.context.as_deref()));
    }
    if prompt.multi_select {
        return multi_select(record, decision, text, socket);
    }
    let fingerprint = decision.fingerprint();
    let mut rows: Vec<Vec<InlineKeyboardButton>> = prompt
        .options
        .iter()
        .enumerate()
        .map(|(i, option)| {
            let mark = if prompt.default == Some(i) {
                "⭐ "
            } else {
                ""
            };
            let action = Action::Answer {
                session: record.id,
                serial: decision.serial,
                fingerprint,
                option: u8::try_from(i).unwrap_or(u8::MAX),
            };
            vec![button(&format!("{mark}{}", option.label), action)]
        })
        .collect();
    if prompt.default.is_some() {
        text.push_raw("\n\n⭐ = the agent's proposed default");
    }
    rows.push(vec![button("👁 Peek", Action::Peek(record.id))]);
    (text, InlineKeyboardMarkup::new(rows))
}

/// The tool call behind a decision as its agent named it: the tool, and
/// the call in full unless the screen's context already shows it whole.
fn tool_call(call: &ToolCall, context: Option<&str>) -> Html {
    let mut text = Html::raw("\n🔧 ");
    text.push(Html::bold(Html::text(&truncate(&call.tool, MAX_BUTTON))));
    let shown_whole = context.is_some_and(|c| c.contains(call.input.as_str()));
    if !call.input.is_empty() && !shown_whole {
        text.push_raw("\n")
            .push(Html::pre(&truncate(&call.input, MAX_CONTEXT)));
    }
    text
}

/// A question with check boxes: its options as they stand, and where to
/// answer it. No button can tick and submit safely from here, so none does.
fn multi_select(
    record: &SessionRecord,
    decision: &Decision,
    mut text: Html,
    socket: &str,
) -> (Html, InlineKeyboardMarkup) {
    for option in &decision.prompt.options {
        text.push_raw("\n")
            .push_text(&truncate(&option.label, MAX_BUTTON));
    }
    text.push_raw("\n\nSeveral answers can be ticked here: answer it in the terminal.")
        .push(attach_hint(record.name.as_str(), socket));
    let keyboard = InlineKeyboardMarkup::new(vec![vec![button("👁 Peek", Action::Peek(record.id))]]);
    (text, keyboard)
}

/// A decision's message once a tap answered it: who chose what, and when.
pub(crate) fn tapped(record: &SessionRecord, decision: &Decision, tapped: &Tapped) -> Html {
    let mut text = Html::raw("✅ ");
    text.push(Html::bold(Html::text(record.name.as_str())))
        .push_raw(": ")
        .push_text(&truncate(&decision.prompt.question, MAX_QUESTION))
        .push_raw("\n→ ")
        .push(Html::bold(Html::text(&tapped.option)))
        .push_raw(", by ")
        .push_text(&tapped.by)
        .push_text(&format!(" at {} UTC", tapped.at.format("%H:%M:%S")));
    text
}

/// A decision's message once it ended without a tap, saying how.
pub(crate) fn closed(record: &SessionRecord, decision: &Decision, ending: &Ending) -> Html {
    if let Ending::Tapped(t) = ending {
        return tapped(record, decision, t);
    }
    let mut text = Html::raw("☑️ ");
    text.push(Html::bold(Html::text(record.name.as_str())))
        .push_raw(": ")
        .push_text(&truncate(&decision.prompt.question, MAX_QUESTION))
        .push_raw("\n→ ")
        .push_text(&ending.describe());
    text
}

/// A message whose buttons went stale, kept but marked.
pub(crate) fn no_longer_open(original: Option<&str>) -> Html {
    let mut text = Html::default();
    if let Some(original) = original {
        text.push_text(&truncate(original, CHUNK - 100))
            .push_raw("\n\n");
    }
    text.push_raw("(no longer open)");
    text
}
