//! Writes the seed corpus of every target: `seeds DIR` creates
//! `DIR/spf`, `DIR/zone` and `DIR/inventory`, one file per seed
//! (see [`senderzone_fuzz::seeds`]). Run by `scripts/fuzz`.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: seeds DIR");
        return ExitCode::from(2);
    };
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let suite = senderzone_fuzz::seeds::suite_path(&repo);
    let corpora = match senderzone_fuzz::seeds::corpora(&repo, &suite) {
        Ok(corpora) => corpora,
        Err(err) => {
            eprintln!("seeds: {err}");
            return ExitCode::FAILURE;
        }
    };
    for corpus in corpora {
        let target = Path::new(&dir).join(corpus.target);
        let written =
            std::fs::create_dir_all(&target).and_then(|()| {
                corpus.seeds.iter().enumerate().try_for_each(|(i, seed)| {
                    std::fs::write(target.join(format!("seed-{i:04}")), seed)
                })
            });
        if let Err(err) = written {
            eprintln!("seeds: cannot write `{}`: {err}", target.display());
            return ExitCode::FAILURE;
        }
        println!("{}: {} seeds", corpus.target, corpus.seeds.len());
    }
    ExitCode::SUCCESS
}
