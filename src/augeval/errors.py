"""Errors raised by augeval: each names the file or key at fault and what to do about it."""


class AugevalError(Exception):
    """Base class for all augeval errors."""


class ConfigError(AugevalError):
    """A configuration key is missing or invalid."""


class DataError(AugevalError):
    """Input data (metadata, manifest, audio) is missing or malformed."""


class DownloadError(DataError):
    """A file could not be fetched over HTTP, failed its checksum, or (an archive) is unsafe."""


class AudioError(DataError):
    """An audio file is missing, unreadable or unusable."""


class TrainingError(AugevalError):
    """A training run diverged (non-finite loss or scores) under its configured settings."""


class CheckpointError(AugevalError):
    """A checkpoint or pretrained weight file is missing or unreadable."""


class GeneratorError(AugevalError):
    """A generator (e.g. an outside command) failed or returned unusable audio."""
