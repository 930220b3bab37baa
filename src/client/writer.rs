//! Commands go into the caller's buffer whole or not at all.

use crate::syntax::{Invalid, WriteError, Writer, write_with};

use super::envelope::EnvelopeError;
use super::error::ClientError;

/// Writes `f`'s element at `out[*pos..]`; `Ok(false)` when it does not fit
/// but something was already written this call (it stays due), and
/// [`ClientError::BufferTooSmall`] when it does not fit in an empty buffer.
pub(super) fn put(
    out: &mut [u8],
    pos: &mut usize,
    f: impl FnOnce(&mut Writer<'_>) -> Result<(), Invalid>,
) -> Result<bool, ClientError> {
    let room = out.get_mut(*pos..).unwrap_or_default();
    match write_with(room, f) {
        Ok(n) => {
            *pos += n;
            Ok(true)
        }
        Err(WriteError::BufferTooSmall { needed }) => {
            if *pos == 0 {
                Err(ClientError::BufferTooSmall { needed })
            } else {
                Ok(false)
            }
        }
        Err(WriteError::Invalid(i)) => Err(ClientError::Envelope(EnvelopeError::Invalid(i))),
    }
}
