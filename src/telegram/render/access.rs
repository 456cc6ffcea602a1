//! People who may not use the bot, and places it does not talk in.

use super::*;

pub(crate) fn private_bot(user: u64) -> Html {
    Html::text(&format!(
        "This bot is private. Your Telegram user id is {user}."
    ))
}

pub(crate) fn paired(socket: &str) -> Html {
    let mut text = Html::raw("Paired: welcome.\n\n");
    text.push(help(socket));
    text
}

pub(crate) fn wrong_pairing_code() -> Html {
    Html::raw(
        "That pairing code is not right. Check the code printed in the terminal where tgmux runs.",
    )
}

pub(crate) fn private_chats_only() -> Html {
    Html::raw(
        "tgmux shows sessions only in a private chat with an allowed user: send your commands to the bot directly.",
    )
}
