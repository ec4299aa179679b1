//! `senderzone import`: the CLI side of [`crate::import`].

use tokio::time::Instant;

use super::config::Import;
use super::{Error, Streams, note, runtime};
use crate::dns::shared::{Progress, SharedLookup};
use crate::exit;
use crate::import;

/// Queries in flight at most: a draft asks for a few hundred names.
const CONCURRENCY: usize = 64;

/// Runs `import` and returns its exit code: 0 drafted, 1 nothing to
/// draft, 3 something could not be read.
pub fn run(config: &Import, streams: &mut Streams<'_>) -> Result<u8, Error> {
    let dns = config.dns.open()?;
    let runtime = runtime()?;
    let progress = Progress::default();
    let facts = runtime.block_on(async {
        let lookup = SharedLookup::new(
            &dns,
            CONCURRENCY,
            Instant::now() + config.timeout,
            &progress,
        );
        import::read(&lookup, &config.request).await
    });
    let draft = import::assemble(&facts);
    let unread = !draft.unread.is_empty();
    if draft.domains.is_empty() && draft.servers.is_empty() {
        // An inventory describes at least one server or domain: there is
        // nothing to write.
        for why in draft.unrepresented.iter().chain(&draft.unread) {
            writeln!(
                streams.err,
                "senderzone: error: {}",
                crate::text::escape(why)
            )
            .map_err(Error::Stderr)?;
        }
        writeln!(
            streams.err,
            "senderzone: error: nothing to draft: no domain publishes an SPF record naming a sender"
        )
        .map_err(Error::Stderr)?;
        return Ok(if unread {
            exit::DNS_FAILURE
        } else {
            exit::PROBLEMS
        });
    }
    let text = import::yaml::render(&draft, &config.request.domains);
    match &config.out {
        None => streams
            .out
            .write_all(text.as_bytes())
            .map_err(Error::Output)?,
        Some(path) => {
            super::out::write_file(path, text.as_bytes(), config.force)?;
            note(
                streams,
                config.verbosity,
                format_args!(
                    "wrote {}; next: senderzone verify {}",
                    path.display(),
                    path.display()
                ),
            )?;
        }
    }
    if unread {
        super::warn(
            streams,
            format_args!(
                "{} lookup(s) could not be read: the draft is incomplete where its comments say so",
                draft.unread.len()
            ),
        )?;
        return Ok(exit::DNS_FAILURE);
    }
    Ok(exit::OK)
}
