//! Before the greeting: input that came before it (rule D8), and the PROXY
//! protocol header a load balancer sends first when
//! [`ServerConfig::proxy_protocol`](super::ServerConfig::proxy_protocol) is
//! on (HAProxy's `doc/proxy-protocol.txt`, parsed by
//! [`wire::proxy`](crate::wire::proxy)). Like the other phases, these read
//! the session through a `View` and return an `Outcome`.

use crate::syntax::Status;
use crate::wire::proxy;

use super::config::PipeliningPolicy;
use super::event::Event;
use super::outcome::{Change, Outcome};
use super::replies as r;
use super::say::Say;
use super::view::View;

/// Input before the greeting (rule D8): greet and go on under the lenient
/// policy, else `554 5.5.0` and close.
pub(super) fn early_talker<'a>(v: View<'_, '_>) -> Outcome<'a> {
    if v.config.pipelining_violations == PipeliningPolicy::Lenient {
        return Outcome::go(0, Change::Greeted).say(Say::Greeting);
    }
    Outcome::Close {
        consumed: 0,
        reply: Say::Canned(r::SYNC),
    }
}

/// The PROXY protocol header, before the greeting. A valid one is consumed,
/// the greeting written and the header reported; bytes behind it were sent
/// before the greeting (rule D8: under the strict policy `554 5.5.0` and
/// close, as for input before any greeting). Anything else closes the
/// connection with no reply (proxy-protocol.txt §2.1: "Any sequence which
/// does not exactly match the protocol must be discarded and cause the
/// receiver to abort the connection"; §2.2).
pub(super) fn proxy_header<'a>(v: View<'_, '_>, input: &'a [u8]) -> Outcome<'a> {
    if !cfg!(feature = "proxy") {
        // Not reached: `ServerConfig::validate` refuses `proxy_protocol`
        // without the feature. This lets the parser's code be left out.
        return Outcome::Close {
            consumed: 0,
            reply: Say::Nothing,
        };
    }
    match proxy::parse(input) {
        Ok(Status::Partial) => Outcome::NeedInput,
        Ok(Status::Complete((header, n))) => {
            debug!("server: PROXY header from {:?}", header.source());
            if input.len() > n && v.config.pipelining_violations == PipeliningPolicy::Reject {
                return Outcome::Close {
                    consumed: n,
                    reply: Say::Canned(r::SYNC),
                };
            }
            Outcome::go(n, Change::Greeted)
                .say(Say::Greeting)
                .report(Event::Proxy(header))
        }
        Err(_e) => {
            debug!("server: no valid PROXY header ({:?}), closing", _e);
            Outcome::Close {
                consumed: 0,
                reply: Say::Nothing,
            }
        }
    }
}
