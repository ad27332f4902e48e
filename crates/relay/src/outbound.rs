//! A session's outbound queue: the frames the commit thread hands a session (deliveries,
//! acknowledgements, errors, checkpoints, presence, the supervision state), bounded in frames
//! and in bytes, written by the session in order.
//!
//! Why not tokio's `mpsc`: a bounded tokio channel keeps its first block of 32 slots (and the
//! channel around it, about 1.5 KB) for its whole life, used or not, and an idle session holds
//! it for hours (BENCHMARKS.md, "Idle memory"). This queue holds its frames in a `VecDeque`
//! that is allocated when a frame is queued and released when the session has taken the last
//! one, so an idle session keeps only the small shared state. One producer (the commit
//! thread, through the session's [`Outbound`]) and one consumer (the session's task) meet
//! under an uncontended mutex held for a push or a pop.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Poll, Waker};

use tokio_tungstenite::tungstenite::Utf8Bytes;

/// Room reserved when an empty queue gets a frame: a batch of deliveries usually fits, so a
/// busy session allocates once per batch rather than at every doubling.
const FIRST_ALLOCATION_FRAMES: usize = 16;

/// Creates a session's queue, bounded at `max_frames` frames and `max_bytes` bytes of frames
/// queued and not yet taken by the session.
pub fn queue(max_frames: usize, max_bytes: usize) -> (Outbound, Inbox) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State::default()),
        max_frames: max_frames.max(1),
        max_bytes,
    });
    (
        Outbound {
            shared: shared.clone(),
        },
        Inbox { shared },
    )
}

/// Why a frame was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The queue holds its maximum number of frames.
    Frames,
    /// The frame would take the queue over its maximum bytes.
    Bytes,
    /// The session no longer takes frames (its task closed the queue or ended).
    Closed,
}

/// The commit thread's end of a session's queue. Dropping it ends the queue: the session takes
/// what is left, then [`Inbox::recv`] returns `None`.
pub struct Outbound {
    shared: Arc<Shared>,
}

/// The session's end of its queue. Dropping it (or [`Inbox::close`]) refuses further frames.
pub struct Inbox {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    max_frames: usize,
    max_bytes: usize,
}

#[derive(Default)]
struct State {
    frames: VecDeque<Utf8Bytes>,
    /// Bytes of `frames`.
    bytes: usize,
    /// The session's task, waiting in [`Inbox::recv`] for a frame.
    waiting: Option<Waker>,
    /// The [`Outbound`] is gone: nothing more will come.
    ended: bool,
    /// The [`Inbox`] is closed or gone: nothing more is taken.
    closed: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; if something did, the queue is still whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    /// Takes the oldest frame; releases the storage once the last one is taken.
    fn pop(&mut self) -> Option<Utf8Bytes> {
        let frame = self.frames.pop_front()?;
        self.bytes -= frame.len();
        if self.frames.is_empty() {
            self.frames = VecDeque::new();
        }
        Some(frame)
    }
}

impl Outbound {
    /// Queues `frame` after every frame queued before it, or says why not.
    pub fn try_push(&self, frame: Utf8Bytes) -> Result<(), Refused> {
        let waiting = {
            let mut s = self.shared.lock();
            if s.closed {
                return Err(Refused::Closed);
            }
            if s.bytes + frame.len() > self.shared.max_bytes {
                return Err(Refused::Bytes);
            }
            if s.frames.len() >= self.shared.max_frames {
                return Err(Refused::Frames);
            }
            if s.frames.capacity() == 0 {
                s.frames
                    .reserve(FIRST_ALLOCATION_FRAMES.min(self.shared.max_frames));
            }
            s.bytes += frame.len();
            s.frames.push_back(frame);
            s.waiting.take()
        };
        if let Some(waker) = waiting {
            waker.wake();
        }
        Ok(())
    }
}

impl Drop for Outbound {
    fn drop(&mut self) {
        let waiting = {
            let mut s = self.shared.lock();
            s.ended = true;
            s.waiting.take()
        };
        if let Some(waker) = waiting {
            waker.wake();
        }
    }
}

impl Inbox {
    /// The next frame; `None` once the queue is empty and its [`Outbound`] is gone (or the
    /// queue was closed). Cancel-safe: a frame is taken only when it is returned.
    pub async fn recv(&mut self) -> Option<Utf8Bytes> {
        poll_fn(|cx| {
            let mut s = self.shared.lock();
            if let Some(frame) = s.pop() {
                return Poll::Ready(Some(frame));
            }
            if s.ended || s.closed {
                return Poll::Ready(None);
            }
            match &mut s.waiting {
                Some(w) if w.will_wake(cx.waker()) => {}
                w => *w = Some(cx.waker().clone()),
            }
            Poll::Pending
        })
        .await
    }

    /// The next frame if one is queued.
    pub fn try_recv(&mut self) -> Option<Utf8Bytes> {
        self.shared.lock().pop()
    }

    /// Refuses every frame from now on; those already queued can still be taken.
    pub fn close(&mut self) {
        self.shared.lock().closed = true;
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        let mut s = self.shared.lock();
        s.closed = true;
        s.waiting = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(s: &str) -> Utf8Bytes {
        Utf8Bytes::from(s.to_owned())
    }

    #[tokio::test]
    async fn frames_come_out_in_order_then_none_once_the_producer_is_gone() {
        let (tx, mut rx) = queue(8, 1024);
        for s in ["a", "b", "c"] {
            tx.try_push(frame(s)).unwrap();
        }
        assert_eq!(rx.recv().await.unwrap().as_str(), "a");
        assert_eq!(rx.try_recv().unwrap().as_str(), "b");
        drop(tx);
        assert_eq!(
            rx.recv().await.unwrap().as_str(),
            "c",
            "queued before the end"
        );
        assert!(rx.recv().await.is_none());
    }

    #[test]
    fn bounded_in_frames_and_in_bytes() {
        let (tx, mut rx) = queue(2, 10);
        tx.try_push(frame("1234")).unwrap();
        assert_eq!(tx.try_push(frame("1234567")), Err(Refused::Bytes));
        tx.try_push(frame("123456")).unwrap();
        assert_eq!(tx.try_push(frame("")), Err(Refused::Frames));
        assert_eq!(rx.try_recv().unwrap().as_str(), "1234");
        tx.try_push(frame("1234")).unwrap();
        assert_eq!(
            tx.try_push(frame("")),
            Err(Refused::Frames),
            "taking a frame frees its place"
        );
        rx.try_recv().unwrap();
        rx.try_recv().unwrap();
        tx.try_push(frame("1234567890")).unwrap();
    }

    #[test]
    fn a_closed_or_dropped_inbox_refuses_frames_and_keeps_what_was_queued() {
        let (tx, mut rx) = queue(4, 100);
        tx.try_push(frame("kept")).unwrap();
        rx.close();
        assert_eq!(tx.try_push(frame("late")), Err(Refused::Closed));
        assert_eq!(rx.try_recv().unwrap().as_str(), "kept");
        assert!(rx.try_recv().is_none());
        let (tx, rx) = queue(4, 100);
        drop(rx);
        assert_eq!(tx.try_push(frame("x")), Err(Refused::Closed));
    }

    /// The point of the queue: an emptied queue holds no storage.
    #[test]
    fn storage_is_allocated_when_used_and_released_when_drained() {
        let (tx, mut rx) = queue(64, 1 << 20);
        assert_eq!(tx.shared.lock().frames.capacity(), 0, "nothing before use");
        for _ in 0..20 {
            tx.try_push(frame("x")).unwrap();
        }
        assert!(tx.shared.lock().frames.capacity() >= 20);
        while rx.try_recv().is_some() {}
        assert_eq!(
            tx.shared.lock().frames.capacity(),
            0,
            "released once drained"
        );
        assert_eq!(tx.shared.lock().bytes, 0);
    }

    /// A session waiting in `recv` is woken by a push from another thread, and by the end.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_waiting_session_is_woken() {
        let (tx, mut rx) = queue(1024, 1 << 20);
        let producer = std::thread::spawn(move || {
            for i in 0..1000 {
                loop {
                    match tx.try_push(frame(&i.to_string())) {
                        Ok(()) => break,
                        Err(Refused::Frames) => std::thread::yield_now(),
                        Err(e) => panic!("{e:?}"),
                    }
                }
            }
        });
        for i in 0..1000 {
            assert_eq!(rx.recv().await.unwrap().as_str(), i.to_string());
        }
        assert!(rx.recv().await.is_none(), "woken by the producer's end");
        producer.join().unwrap();
    }
}
