"""The package's exception types.

Every failure a user can cause or fix is one of these, so the CLI and the web
can turn it into a message with the next step instead of a traceback.
"""


class SeedsearchError(Exception):
    """Base class: something the user can act on. `hint` is the next thing to try."""

    hint: str = ""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint or self.hint

    def __str__(self) -> str:
        message = super().__str__()
        return f"{message}\n{self.hint}" if self.hint else message


class CorpusNotFound(SeedsearchError):
    """The corpus path does not exist or is not a folder/JSONL file."""


class IndexNotFound(SeedsearchError):
    """There is no index yet at the configured path."""


class IndexLocked(SeedsearchError):
    """Another process holds the index's write lock (Whoosh's LockError says nothing)."""


class SettingsMismatch(SeedsearchError):
    """The index was built with other settings (language, schema version)."""


class InvalidSetting(SeedsearchError):
    """A setting has a value seedsearch cannot use."""


class CorpusMismatch(InvalidSetting):
    """The index holds another corpus than the one given: updating it would replace
    the articles of one corpus with another's, so only `--rebuild` may."""


class IndexFolderRefused(InvalidSetting, IndexNotFound):
    """The folder given as the index cannot hold one (a file, a folder of the user's
    files, the corpus itself). A setting to change, and no index to read either: the
    web answers it as an unavailable index (503), not as a bad request."""


class IndexDamaged(SeedsearchError):
    """The index on disk cannot be read as it is (a damaged or foreign file)."""

    hint = "Rebuild it with: seedsearch index --rebuild"


class IndexWriteFailed(SeedsearchError):
    """Writing the index failed (a full disk, say); the index is as it was before."""
