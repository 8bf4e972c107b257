//! README.md cannot drift from the CLI: every `knet ...` command line in its
//! code blocks (and every `knet #` line of a shell session shown there) must
//! parse with knet's own clap tree, so a renamed flag or command fails here.

use crate::util::*;

/// The command lines of README's indented code blocks: `$ ` prompts dropped,
/// `\` continuations joined, each `knet` command of a line (`a; b`, `a | jq`,
/// `VAR=x knet ...`) as its own word list; a `knet # CMD` shell-prompt line
/// gives `knet CMD`. Each comes with its README line number.
pub(crate) fn readme_commands() -> Vec<(usize, String, Vec<String>)> {
    let text = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let no = i + 1;
        let Some(code) = lines[i].strip_prefix("    ") else {
            i += 1;
            continue;
        };
        let mut line = code.trim_start().to_string();
        while line.ends_with('\\') && i + 1 < lines.len() {
            line.pop();
            i += 1;
            line.push_str(lines[i].trim_start());
        }
        i += 1;
        let line = line.strip_prefix("$ ").unwrap_or(&line).to_string();
        if let Some(cmd) = line.strip_prefix("knet # ") {
            let shell_words = knet::shell::split(cmd).unwrap_or_else(|e| panic!("README.md:{no}: {e}")).concat();
            // the session's own commands are not in knet's tree (src/shell.rs)
            if !matches!(shell_words.first().map(String::as_str), Some("connect" | "quit" | "exit" | "help")) {
                out.push((no, line.clone(), std::iter::once("knet".to_string()).chain(shell_words).collect()));
            }
            continue;
        }
        // knet's lexer is the shell's for what README uses (quotes, `;`, `#`)
        let Ok(parts) = knet::shell::split(&line) else { continue };
        for part in parts {
            // a pipe or `&&` ends the knet command; env assignments start it
            let end = part.iter().position(|w| matches!(w.as_str(), "|" | "||" | "&&" | ">" | "2>&1")).unwrap_or(part.len());
            let words: Vec<String> = part[..end].iter().skip_while(|w| w.contains('=') && !w.starts_with('-')).cloned().collect();
            if words.first().map(String::as_str) == Some("knet") {
                out.push((no, line.clone(), words));
            }
        }
    }
    out
}

#[test]
fn every_knet_command_line_in_the_readme_parses() {
    let cmds = readme_commands();
    // the README documents every command: far more lines than this
    assert!(cmds.len() >= 50, "only {} knet lines found in README.md", cmds.len());
    for (no, line, words) in &cmds {
        assert_knet_parses(words, &format!("README.md:{no}: `{line}`"));
    }
}

#[test]
fn every_command_appears_in_the_readme() {
    use clap::CommandFactory;
    let tree = knet::cli::Cli::command();
    let documented: std::collections::HashSet<String> = readme_commands()
        .into_iter()
        .filter_map(|(_, _, w)| tree.clone().try_get_matches_from(w).ok()?.subcommand_name().map(str::to_string))
        .collect();
    // prose may name a command in an inline code span (`knet shell`)
    let text = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let inline: Vec<&str> = text.split('`').skip(1).step_by(2).filter_map(|c| c.strip_prefix("knet ")?.split_whitespace().next()).collect();
    for sub in tree.get_subcommands().filter(|s| !s.is_hide_set()) {
        assert!(documented.contains(sub.get_name()) || inline.contains(&sub.get_name()), "README.md shows no `knet {}` command line", sub.get_name());
    }
}
