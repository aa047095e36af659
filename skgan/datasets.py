"""Image datasets read from local files.

:func:`load_mnist` reads the four standard MNIST IDX files (gzip-compressed or
not) from a folder. Only when they are absent does it ask torchvision to
download them, which needs network access. :func:`load_image_folder` reads any
class-per-folder tree of image files (the layout of torchvision's
``ImageFolder``), or a tar archive of one, into one array; :func:`load_cifar10`
reads CIFAR-10 stored that way. Neither touches the network.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
#: IDX type codes (the third byte of the magic number) this reader accepts.
_UBYTE = 0x08


def _default_data_home() -> Path:
    """``$SKGAN_DATA`` if set, else ``~/skgan_data/mnist``."""
    return Path(os.environ.get("SKGAN_DATA") or Path.home() / "skgan_data" / "mnist")


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an unsigned-byte IDX file (optionally gzip-compressed) into an array.

    Parameters
    ----------
    path : str or path-like
        File to read; a ``.gz`` suffix means gzip.

    Returns
    -------
    array : ndarray of uint8
        Shaped by the file's header, e.g. ``(60000, 28, 28)``.

    Examples
    --------
    >>> import gzip, tempfile, os
    >>> raw = bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9])
    >>> path = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte")
    >>> _ = open(path, "wb").write(raw)
    >>> read_idx(path)
    array([7, 8, 9], dtype=uint8)
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != _UBYTE:
        raise ValueError(f"{path} is not an unsigned-byte IDX file (bad magic number).")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{path} holds {body.size} values; its header says {shape}.")
    return body.reshape(shape)


def _find(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _download(data_home: Path) -> Path:
    """Fetch MNIST with torchvision into ``data_home``; return the folder of raw files."""
    try:
        from torchvision.datasets import MNIST

        MNIST(str(data_home), download=True)
    except Exception as exc:  # network errors come in many types
        raise FileNotFoundError(
            f"MNIST files were not found in {data_home} and could not be downloaded "
            f"({exc}). Put the four IDX files (e.g. train-images-idx3-ubyte.gz) in "
            f"that folder, or pass data_home=."
        ) from exc
    return data_home / "MNIST" / "raw"


def load_mnist(data_home: str | os.PathLike | None = None, *, split: str = "train"):
    """Load MNIST digits from local IDX files.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder with the IDX files (also searched: its ``MNIST/raw``
        subfolder, where torchvision puts them). Default: ``$SKGAN_DATA``,
        then ``~/skgan_data/mnist``. When the files are absent, torchvision
        downloads them there, if the network allows.
    split : {"train", "test"}, default="train"
        The 60000 training or the 10000 test digits.

    Returns
    -------
    X : ndarray of shape (n_samples, 28, 28), uint8
        The images.
    y : ndarray of shape (n_samples,), uint8
        Their labels, 0 to 9.

    Examples
    --------
    Real MNIST: ``X, y = load_mnist("../shared/data/mnist")`` gives
    ``(60000, 28, 28)`` uint8 images. Any folder of IDX files works:

    >>> import gzip, os, tempfile
    >>> from skgan.datasets import load_mnist
    >>> home = tempfile.mkdtemp()
    >>> images = bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2]) + bytes(range(8))
    >>> labels = bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 3])
    >>> for name, data in [("t10k-images-idx3-ubyte.gz", images),
    ...                    ("t10k-labels-idx1-ubyte.gz", labels)]:
    ...     with gzip.open(os.path.join(home, name), "wb") as f:
    ...         _ = f.write(data)
    >>> X, y = load_mnist(home, split="test")
    >>> X.shape, y
    ((2, 2, 2), array([7, 3], dtype=uint8))
    """
    if split not in _FILES:
        raise ValueError(f"split must be one of {sorted(_FILES)}; got {split!r}.")
    home = Path(data_home) if data_home is not None else _default_data_home()
    stems = _FILES[split]
    for folder in (home, home / "MNIST" / "raw"):
        paths = [_find(folder, stem) for stem in stems]
        if all(paths):
            break
    else:
        folder = _download(home)
        paths = [_find(folder, stem) for stem in stems]
    X, y = (read_idx(p) for p in paths)
    if len(X) != len(y):
        raise ValueError(f"{paths[0]} has {len(X)} images but {paths[1]} has {len(y)} labels.")
    return X, y


#: File name endings read as images (torchvision's ``IMG_EXTENSIONS``).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
#: CIFAR-10's classes in label order (alphabetical: the ``ImageFolder`` order).
CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
_CIFAR10_ARCHIVE = "cifar10-jpeg.tar.gz"
#: How many unreadable files an error names before it counts the rest.
_NAMED_FAILURES = 5


def _is_image(name: str) -> bool:
    return name.lower().endswith(IMAGE_EXTENSIONS)


def _folder_files(root: Path) -> Iterator[tuple[str, str, Callable[[], bytes]]]:
    """``(class, name, read)`` per image file below ``root``'s class folders."""
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and _is_image(p.name)):
            yield folder.name, str(path), path.read_bytes


def _tar_files(archive: Path, prefix: str) -> Iterator[tuple[str, str, Callable[[], bytes]]]:
    """``(class, name, read)`` per image member ``prefix<class>/.../<file>`` of a tar."""
    with tarfile.open(archive) as tar:
        # One pass through a compressed archive: read every member, then sort.
        members = {}
        for member in tar:
            name = member.name.removeprefix("./")
            parts = name[len(prefix) :].split("/") if name.startswith(prefix) else []
            if member.isfile() and len(parts) >= 2 and _is_image(name):
                members[name] = (parts[0], tar.extractfile(member).read())
    for name in sorted(members, key=lambda n: (members[n][0], n)):
        label, data = members[name]
        yield label, f"{archive}:{name}", lambda data=data: data


def _size_pair(image_size) -> tuple[int, int] | None:
    if image_size is None:
        return None
    pair = (image_size, image_size) if isinstance(image_size, int | np.integer) else image_size
    try:
        height, width = (int(v) for v in pair)
        valid = all(v == int(v) for v in pair) and not isinstance(image_size, bool)
    except (TypeError, ValueError):
        valid = False
    if not valid or height < 1 or width < 1:
        raise ValueError(
            f"image_size must be None, a positive int or a (height, width) pair of them; "
            f"got {image_size!r}."
        )
    return height, width


def _decode(files, size: tuple[int, int] | None):
    """The images of ``files`` as arrays, their classes, and the files that failed."""
    from PIL import Image, UnidentifiedImageError

    images, labels, names, failed = [], [], [], []
    for label, name, read in files:
        try:
            with Image.open(io.BytesIO(read())) as image:
                image.load()
                if size is not None:
                    image = image.resize(size[::-1], Image.Resampling.BILINEAR)
                images.append(image.convert("L") if image.mode in ("1", "L", "I;16") else image)
        except (OSError, ValueError) as exc:
            unknown = isinstance(exc, UnidentifiedImageError)
            failed.append(f"{name} ({'not an image Pillow can decode' if unknown else exc})")
            continue
        labels.append(label)
        names.append(name)
    return images, labels, names, failed


def _stack(images, names) -> np.ndarray:
    """One array: ``(n, H, W)`` when every image is grey, else ``(n, H, W, 3)``."""
    grey = all(image.mode == "L" for image in images)
    arrays = [np.asarray(image if grey else image.convert("RGB")) for image in images]
    first = arrays[0].shape[:2]
    for array, name in zip(arrays, names, strict=True):
        if array.shape[:2] != first:
            raise ValueError(
                f"Images differ in size: {names[0]} is {first[0]}x{first[1]} but {name} "
                f"is {array.shape[0]}x{array.shape[1]} (height x width). Pass "
                f"image_size= to resize every image to one size."
            )
    return np.stack(arrays)


def _load_tree(files, image_size, where: str):
    """``X, y`` of the class-per-folder ``files``; every file read or an error."""
    size = _size_pair(image_size)
    images, labels, names, failed = _decode(files, size)
    if failed:
        more = len(failed) - _NAMED_FAILURES
        listed = "; ".join(failed[:_NAMED_FAILURES]) + (f"; and {more} more" if more > 0 else "")
        raise ValueError(f"{len(failed)} image file(s) in {where} could not be read: {listed}.")
    if not images:
        raise ValueError(
            f"{where} holds no image files in class folders (<class>/<file>, with a name "
            f"ending in one of {', '.join(IMAGE_EXTENSIONS)})."
        )
    return _stack(images, names), np.asarray(labels)


def _image_files(path: Path, prefix: str = ""):
    if path.is_dir():
        return _folder_files(path / prefix if prefix else path)
    if path.is_file() and tarfile.is_tarfile(path):
        return _tar_files(path, prefix)
    raise FileNotFoundError(f"{path} is neither a folder nor a tar archive of images.")


def load_image_folder(path: str | os.PathLike, *, image_size=None):
    """Load a class-per-folder tree of images (or a tar archive of one) into arrays.

    The layout is that of torchvision's ``ImageFolder``: ``path/<class>/<file>``
    (files may sit in subfolders of their class folder). Classes and files are
    read in sorted order.

    Parameters
    ----------
    path : str or path-like
        The folder, or a tar archive (``.tar``, ``.tar.gz``, ...) whose top level
        holds the class folders.
    image_size : int or (int, int), default=None
        Resize every image to this ``(height, width)`` (an int: square), with
        bilinear interpolation. ``None`` keeps the files' size, which must then
        be the same for all.

    Returns
    -------
    X : ndarray of uint8
        ``(n_samples, H, W)`` when every file is greyscale, else
        ``(n_samples, H, W, 3)`` RGB (other modes, e.g. RGBA or palette, are
        converted to RGB).
    y : ndarray of str
        The class (folder name) of each image; scikit-learn classifiers take
        it as it is.

    Raises
    ------
    ValueError
        If a file cannot be decoded (all such files are named, nothing is
        returned), if images differ in size and ``image_size`` is None (the
        first file of another size is named), or if no image is found.
    FileNotFoundError
        If ``path`` is neither a folder nor a tar archive.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> from skgan.datasets import load_image_folder
    >>> root = tempfile.mkdtemp()
    >>> for label in ("cat", "dog"):
    ...     os.mkdir(os.path.join(root, label))
    ...     pixels = np.full((6, 8, 3), 50 if label == "cat" else 200, dtype=np.uint8)
    ...     Image.fromarray(pixels).save(os.path.join(root, label, "0.png"))
    >>> X, y = load_image_folder(root)
    >>> X.shape, y.tolist()
    ((2, 6, 8, 3), ['cat', 'dog'])
    >>> load_image_folder(root, image_size=4)[0].shape
    (2, 4, 4, 3)
    """
    path = Path(path)
    return _load_tree(_image_files(path), image_size, str(path))


def _cifar10_source(data_home) -> Path:
    """The extracted folder or the archive of CIFAR-10 in ``data_home``."""
    home = Path(data_home or os.environ.get("SKGAN_CIFAR10") or Path.home() / "skgan_data")
    for candidate in (home, home / "cifar10"):
        if candidate.is_file():
            return candidate
        if (candidate / "train").is_dir() and (candidate / "test").is_dir():
            return candidate
        if (candidate / _CIFAR10_ARCHIVE).is_file():
            return candidate / _CIFAR10_ARCHIVE
    raise FileNotFoundError(
        f"CIFAR-10 was not found in {home}: expected {_CIFAR10_ARCHIVE} or its extracted "
        f"train/ and test/ folders there (or in its cifar10/ subfolder). skgan does not "
        f"download it; pass data_home= (e.g. '../shared/data/cifar10')."
    )


def load_cifar10(data_home: str | os.PathLike | None = None, *, split: str = "train"):
    """Load CIFAR-10 from local JPEG files in class folders (or their tar archive).

    Parameters
    ----------
    data_home : str or path-like, default=None
        The archive ``cifar10-jpeg.tar.gz``, the folder holding it, or the
        folder it extracts to (with ``train/<class>/`` and ``test/<class>/``).
        Default: ``$SKGAN_CIFAR10``, then ``~/skgan_data`` (and its
        ``cifar10`` subfolder). Nothing is downloaded.
    split : {"train", "test"}, default="train"
        The 50000 training or the 10000 test images.

    Returns
    -------
    X : ndarray of shape (n_samples, 32, 32, 3), uint8
        The images, RGB, channels last.
    y : ndarray of shape (n_samples,), int64
        Their labels, 0 to 9, indexing :data:`CIFAR10_CLASSES`.

    Examples
    --------
    With the project's copy: ``X, y = load_cifar10("../shared/data/cifar10")``
    gives ``(50000, 32, 32, 3)`` uint8 images. Any folder of that layout works:

    >>> import os, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> from skgan.datasets import load_cifar10
    >>> home = tempfile.mkdtemp()
    >>> for label in ("cat", "ship"):
    ...     for split in ("train", "test"):
    ...         os.makedirs(os.path.join(home, split, label))
    ...         image = Image.fromarray(np.zeros((32, 32, 3), dtype=np.uint8))
    ...         image.save(os.path.join(home, split, label, "0000.png"))
    >>> X, y = load_cifar10(home, split="test")
    >>> X.shape, y
    ((2, 32, 32, 3), array([3, 8]))
    """
    if split not in _FILES:
        raise ValueError(f"split must be one of {sorted(_FILES)}; got {split!r}.")
    source = _cifar10_source(data_home)
    X, names = _load_tree(_image_files(source, f"{split}/"), None, f"{source} ({split})")
    unknown = sorted(set(names) - set(CIFAR10_CLASSES))
    if unknown or X.shape[1:] != (32, 32, 3):
        raise ValueError(
            f"{source} ({split}) is not CIFAR-10: images of shape {X.shape[1:]}, classes "
            f"{unknown[:3] or 'known'} (expected 32x32 RGB in {', '.join(CIFAR10_CLASSES)})."
        )
    return X, np.searchsorted(CIFAR10_CLASSES, names).astype(np.int64)
