//! The exact command that resumes an interrupted run: this process's own
//! arguments, quoted for a POSIX shell (the key is never an argument).

/// Quotes one argument for a POSIX shell; plain words stay as they are.
fn quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// The command line that started this process, ready to paste into a shell.
pub fn command() -> String {
    std::env::args_os()
        .map(|a| quote(&a.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quotes_only_what_a_shell_would_split() {
        assert_eq!(quote("--files"), "--files");
        assert_eq!(quote("/tmp/a b"), "'/tmp/a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
    }
}
