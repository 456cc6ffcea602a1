use super::*;

#[test]
fn items_survive_a_restart_in_order_and_leave_when_done() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path()).unwrap();
    let first = Outgoing::message(ChatId(1), &Html::text("one <"), None);
    let second = Outgoing::settle(SessionId::new(), 3, &Html::text("two"));
    outbox.push(first.clone());
    outbox.push(second.clone());
    let (seq, item) = outbox.front().unwrap();
    assert_eq!(item, first);
    outbox.done(seq);
    drop(outbox);

    let reopened = Outbox::open(dir.path()).unwrap();
    assert_eq!(reopened.len(), 1);
    assert_eq!(reopened.front().unwrap().1, second);
    reopened.push(first.clone());
    let seqs: Vec<u64> = reopened.lock().items.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, [1, 2], "numbering goes on after the last item kept");
}

#[test]
fn a_turns_progress_kept_before_answers_had_lines_still_reads() {
    let session = SessionId::new();
    let kept = serde_json::json!({"Progress": {
        "chat": 1, "session": session, "markup": "working", "keyboard": null, "last": true
    }});
    let item: Outgoing = serde_json::from_value(kept).unwrap();
    assert_eq!(
        item,
        Outgoing::progress(ChatId(1), session, &Html::raw("working"), None, true)
    );
    let answer = Outgoing::answer(
        ChatId(-5),
        MessageId(7),
        Thread::Topic(3),
        &Html::raw("done"),
        None,
        true,
    );
    let bytes = serde_json::to_vec(&answer).unwrap();
    assert_eq!(serde_json::from_slice::<Outgoing>(&bytes).unwrap(), answer);
}

#[test]
fn a_corrupt_item_is_moved_aside_and_the_rest_kept() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path()).unwrap();
    outbox.push(Outgoing::message(ChatId(1), &Html::text("kept"), None));
    std::fs::write(
        dir.path().join(DIR).join(format!("{:020}.json", 7)),
        b"{nope",
    )
    .unwrap();
    drop(outbox);
    let reopened = Outbox::open(dir.path()).unwrap();
    assert_eq!(reopened.len(), 1);
    assert!(
        dir.path()
            .join(DIR)
            .join(format!("{:020}.json.corrupt", 7))
            .exists()
    );
}
