//! Resume: a session that subscribes from an earlier sequence number gets every record it may
//! see from the journal, up to the point where it went live; fan-out delivers everything after
//! that point. The commit thread fixes that point atomically, so there is no gap and no
//! duplicate between the two.

use fusioncell_cell::policy;
use fusioncell_wire::{ActBody, IdentityId, Record};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

use crate::context::Context;
use crate::defaults::RESUME_CHUNK;
use crate::fanout::deliver_frame;
use crate::session_end::SessionEnd;

/// Sends records `from..to` that `who` may see.
pub async fn send_backlog<S>(
    sink: &mut S,
    ctx: &Context,
    who: &IdentityId,
    from: u64,
    to: u64,
) -> Result<(), SessionEnd>
where
    S: futures_util::Sink<Message, Error = tokio_tungstenite::tungstenite::Error> + Unpin,
{
    let Some(reader) = ctx.reader.clone() else {
        return Err(SessionEnd::NoJournal);
    };
    let mut next = from;
    while next < to {
        let end = to.min(next + RESUME_CHUNK);
        let reader = reader.clone();
        let records = tokio::task::spawn_blocking(move || reader.read(next, end))
            .await
            .map_err(|e| SessionEnd::JournalRead(e.to_string()))?
            .map_err(|e| SessionEnd::JournalRead(e.to_string()))?;
        let frames: Vec<_> = {
            let state = ctx.state.read();
            records
                .into_iter()
                .filter(|r| policy::can_see(&ctx.cell, &state, who, r.seq))
                .map(|mut r| {
                    if state.is_redacted(r.seq) {
                        r.body = None;
                    }
                    r
                })
                .collect()
        };
        for record in frames {
            let released = released_post(ctx, &record).await;
            sink.feed(Message::Text(deliver_frame(&record, released.as_ref())))
                .await
                .map_err(|e| SessionEnd::from_ws_error(&e))?;
        }
        sink.flush()
            .await
            .map_err(|e| SessionEnd::from_ws_error(&e))?;
        next = end;
    }
    Ok(())
}

/// The post an `approve` record releases, read from the journal.
async fn released_post(ctx: &Context, record: &Record) -> Option<Record> {
    let Some(ActBody::Approve(d)) = record.params() else {
        return None;
    };
    let target = d.target;
    let reader = ctx.reader.clone()?;
    let mut post = tokio::task::spawn_blocking(move || reader.read(target, target + 1))
        .await
        .ok()?
        .ok()?
        .pop()?;
    if ctx.state.read().is_redacted(post.seq) {
        post.body = None;
    }
    Some(post)
}
