"""Declarative registry: one entry per dataset, with its on-disk layout, URLs, md5 sums and splits.

Paths are relative to a mirror root and follow torchvision's own layout (what torchvision leaves in
its ``root`` after ``download=True``), so an existing torchvision data folder works as a mirror.
Every file carries

* ``md5``: the published sum (torchvision's class attributes; MedMNIST's ``INFO`` table), and
* ``fixture_md5``: the sum of the small smoke fixture that :mod:`.fixtures` writes in the same
  format (only on the one form of a file that fixtures use). Fixtures are checked by the same code
  path as real files; the check is never switched off.

Where a file may exist in two forms (MNIST/Fashion-MNIST ``.gz`` or uncompressed) both are listed;
the first present form whose md5 matches is used.

Sources of the sums (facts, read from the published code of those projects):
  torchvision 0.29 ``datasets/mnist.py`` (MNIST, FashionMNIST, EMNIST), ``cifar.py``, ``svhn.py``,
  ``stl10.py``; MedMNIST 3.0 ``medmnist/info.py`` (28x28 files, Zenodo record 10519652).
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from .errors import check_choice

SPLITS = ("train", "test", "val")


@dataclass(frozen=True)
class Candidate:
    """One form a file may take in a mirror."""

    path: str  # relative to the mirror root
    md5: str  # published md5 of this form
    fixture_md5: str | None = None  # md5 of our smoke fixture in this form (None: fixtures use another form)


@dataclass(frozen=True)
class FileSpec:
    role: str  # what the parser calls it: "images", "labels", "data_batch_1", "meta", "npz", "zip"
    candidates: tuple[Candidate, ...]
    urls: tuple[str, ...] = ()  # direct download URLs (tried in order); empty: comes from the archive
    download_as: str | None = None  # where a direct download lands (relative to the download root)

    def fixture_candidate(self) -> Candidate:
        (c,) = [c for c in self.candidates if c.fixture_md5 is not None]
        return c


@dataclass(frozen=True)
class ArchiveSpec:
    """A download archive that torchvision extracts (CIFAR, STL-10). Its md5 gates the extraction;
    the extracted files are then checked one by one against their own published sums."""

    filename: str
    url: str
    md5: str


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    format: str  # "idx", "emnist_zip", "cifar", "svhn", "stl10", "medmnist"
    classes: tuple[str, ...]
    splits: Mapping[str, tuple[FileSpec, ...]]
    sizes: Mapping[str, int]  # published number of examples per split
    image_shape: tuple[int, ...]  # per image: (H, W) grey, (C, H, W) colour
    archive: ArchiveSpec | None = None
    fixture_sizes: Mapping[str, int] = field(default_factory=dict)
    multilabel: bool = False
    note: str = ""

    def split_files(self, split: str) -> tuple[FileSpec, ...]:
        check_choice(f"split of {self.name}", split, self.splits)
        return self.splits[split]

    def all_files(self) -> tuple[FileSpec, ...]:
        seen: dict[str, FileSpec] = {}
        for files in self.splits.values():
            for f in files:
                seen.setdefault(f.candidates[0].path, f)
        return tuple(seen.values())


def _ro(d: dict) -> Mapping:
    return MappingProxyType(d)


def _fixture_sizes(splits: tuple[str, ...], n_classes: int) -> dict[str, int]:
    # 64 train / 32 test (and val), but at least one example per class in every split
    base = {"train": 64, "test": 32, "val": 32}
    return {s: max(base[s], n_classes) for s in splits}


# --- IDX datasets: MNIST and Fashion-MNIST ---------------------------------------------------------
def _idx_file(folder: str, stem: str, role: str, md5_gz: str, md5_raw: str, fixture_md5: str, mirrors) -> FileSpec:
    gz = f"{folder}/raw/{stem}.gz"
    return FileSpec(
        role=role,
        # uncompressed first: it needs no decompression, and torchvision leaves both forms
        candidates=(Candidate(f"{folder}/raw/{stem}", md5_raw), Candidate(gz, md5_gz, fixture_md5)),
        urls=tuple(m + stem + ".gz" for m in mirrors),
        download_as=gz,
    )


MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
MNIST_CLASSES = (
    "0 - zero",
    "1 - one",
    "2 - two",
    "3 - three",
    "4 - four",
    "5 - five",
    "6 - six",
    "7 - seven",
    "8 - eight",
    "9 - nine",
)  # torchvision's names

# (stem, role, published .gz md5 (torchvision), uncompressed md5, fixture .gz md5)
# Uncompressed MNIST sums: /work/shared/data/install_offline_data.sh (md5 of the gunzipped originals).
_MNIST_FILES = {
    "train": (
        (
            "train-images-idx3-ubyte",
            "images",
            "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "6bbc9ace898e44ae57da46a324031adb",
            "217e77bfc5f0c77c7808415e00a90c19",
        ),
        (
            "train-labels-idx1-ubyte",
            "labels",
            "d53e105ee54ea40749a09fcbcd1e9432",
            "a25bea736e30d166cdddb491f175f624",
            "5eda69e7d72a557c671fe6ec7d476046",
        ),
    ),
    "test": (
        (
            "t10k-images-idx3-ubyte",
            "images",
            "9fb629c4189551a2d022fa330f9573f3",
            "2646ac647ad5339dbf082846283269ea",
            "d7a2016232d18bf2e21e4aa898244a84",
        ),
        (
            "t10k-labels-idx1-ubyte",
            "labels",
            "ec29112dd5afa0611ce80d1b7f02629c",
            "27ae3e4e09519cfbb04c329615203637",
            "5a424c85b255bd3c87a8c122f1dc903f",
        ),
    ),
}

FASHION_MIRRORS = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
# Uncompressed Fashion-MNIST sums: computed here from the gunzipped files of Debian's
# dataset-fashion-mnist package (apt verifies it against Debian's signed archive). NOTE: Debian's
# .gz files themselves do NOT match torchvision's published .gz sums: they were recompressed
# without the gzip FNAME field (each is exactly len(name)+1 = 24 bytes shorter than upstream's).
# Their decompressed contents match the uncompressed sums that independent public sources list
# for the gunzipped official .gz files (e.g. a MindSpore Fashion-MNIST tutorial that first checks
# the .gz against 8d4fb7e6.../25c81989.../bef4ecab.../bb300cfd..., and several loaders that
# declare these same four raw sums), so the uncompressed sums below are trustworthy.
_FASHION_FILES = {
    "train": (
        (
            "train-images-idx3-ubyte",
            "images",
            "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "f4a8712d7a061bf5bd6d2ca38dc4d50a",
            "454c0b1a7456f9a4cfab9def9d5ab4a8",
        ),
        (
            "train-labels-idx1-ubyte",
            "labels",
            "25c81989df183df01b3e8a0aad5dffbe",
            "9018921c3c673c538a1fc5bad174d6f9",
            "f629e2c26535310c53cc453829945ce5",
        ),
    ),
    "test": (
        (
            "t10k-images-idx3-ubyte",
            "images",
            "bef4ecab320f06d8554ea6380940ec79",
            "8181f5470baa50b63fa0f6fddb340f0a",
            "bef6564d1ad946d54a1634447d682e0d",
        ),
        (
            "t10k-labels-idx1-ubyte",
            "labels",
            "bb300cfdad3c16e7a12a480ee83cd310",
            "15d484375f8d13e6eb1aabb0c3f46965",
            "b2a8ffbd686b37234f7476fd7fea0a84",
        ),
    ),
}


def _idx_splits(folder: str, table: dict, mirrors) -> dict[str, tuple[FileSpec, ...]]:
    return {
        split: tuple(_idx_file(folder, stem, role, gz, raw, fx, mirrors) for stem, role, gz, raw, fx in rows)
        for split, rows in table.items()
    }


# --- EMNIST (balanced) -----------------------------------------------------------------------------
# torchvision publishes only the md5 of NIST's gzip.zip (and keeps that zip in EMNIST/raw/ after
# extracting it), so the zip is the verified unit: the balanced split's two .gz members are read
# straight out of the verified zip.
EMNIST_URL = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
EMNIST_ZIP = FileSpec(
    role="zip",
    candidates=(
        Candidate("EMNIST/raw/gzip.zip", "58c8d27c78d21e728a6bc7b3cc06412e", "b9a6c16a67e6aad6d7fa5a7613aa177d"),
    ),
    urls=(EMNIST_URL,),
    download_as="EMNIST/raw/gzip.zip",
)
_EMNIST_MERGED = set("cijklmopsuvwxyz")  # lowercase letters merged with their uppercase (torchvision)
EMNIST_BALANCED_CLASSES = tuple(sorted(set(string.digits + string.ascii_letters) - _EMNIST_MERGED))


def emnist_member(split: str, kind: str) -> str:
    """Name inside gzip.zip of the balanced split's ``kind`` ("images" | "labels") file."""
    idx = "idx3" if kind == "images" else "idx1"
    return f"gzip/emnist-balanced-{split}-{kind}-{idx}-ubyte.gz"


# --- CIFAR-10 / CIFAR-100 --------------------------------------------------------------------------
CIFAR10_ARCHIVE = ArchiveSpec(
    "cifar-10-python.tar.gz",
    "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    "c58f30108f718f92721af3b95e74349a",
)
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
_C10 = "cifar-10-batches-py"
# (file, published md5, fixture md5)
_CIFAR10_FILES = {
    "data_batch_1": ("c99cafc152244af753f735de768cd75f", "b2cc4487512c993e57a8697273f1421f"),
    "data_batch_2": ("d4bba439e000b95fd0a9bffe97cbabec", "8a318bd33b69c5ca6aaf92915dcfca1c"),
    "data_batch_3": ("54ebc095f3ab1f0389bbae665268c751", "27e4bc1f8f65478b873a2619042fe854"),
    "data_batch_4": ("634d18415352ddfa80567beed471001a", "9c7a3437ff9f81dcb065b881655851b7"),
    "data_batch_5": ("482c414d41f54cd18b22e5b47cb7c3cb", "3fb8382f20cceead325559828285821b"),
    "test_batch": ("40351d587109b95175f43aff81a1287e", "bc3fea051681131abdcffdb5c7d89bff"),
    "batches.meta": ("5ff9c542aee3614f3951f8cda6e48888", "7dddfda267884953c50a801cce85580c"),
}


def _cifar_file(folder: str, table: dict, name: str, role: str | None = None) -> FileSpec:
    md5, fx = table[name]
    return FileSpec(role=role or name, candidates=(Candidate(f"{folder}/{name}", md5, fx),))


CIFAR100_ARCHIVE = ArchiveSpec(
    "cifar-100-python.tar.gz",
    "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
    "eb9058c3a382ffc7106e4002c42a8d85",
)
_C100 = "cifar-100-python"
_CIFAR100_FILES = {
    "train": ("16019d7e3df5f24257cddd939b257f8d", "a060d1c5885e771685fe08ab370dea92"),
    "test": ("f0ef6b0ae62326f3e7ffdfab6717acfc", "c5b0a0c7d3ee359d019f716a5b3b072a"),
    "meta": ("7973b15100ade9c7d40fb424638fde48", "52eb0deaf7f5863dadc047c62b1d326f"),
}
# CIFAR-100's 100 fine and 20 coarse class names come from its `meta` file; these are the fallback
# for the fixture writer (the real names, in the real order).
CIFAR100_FINE = (
    "apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly camel can "
    "castle caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur dolphin "
    "elephant flatfish forest fox girl hamster house kangaroo keyboard lamp lawn_mower leopard lion lizard lobster "
    "man maple_tree motorcycle mountain mouse mushroom oak_tree orange orchid otter palm_tree pear pickup_truck "
    "pine_tree plain plate poppy porcupine possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk "
    "skyscraper snail snake spider squirrel streetcar sunflower sweet_pepper table tank telephone television tiger "
    "tractor train trout tulip turtle wardrobe whale willow_tree wolf woman worm"
).split()
CIFAR100_COARSE = (
    "aquatic_mammals fish flowers food_containers fruit_and_vegetables household_electrical_devices "
    "household_furniture insects large_carnivores large_man-made_outdoor_things large_natural_outdoor_scenes "
    "large_omnivores_and_herbivores medium_mammals non-insect_invertebrates people reptiles small_mammals trees "
    "vehicles_1 vehicles_2"
).split()

# --- SVHN ------------------------------------------------------------------------------------------
# torchvision keeps the .mat files directly in its root (no sub-folder).
_SVHN_FILES = {
    "train": (
        "http://ufldl.stanford.edu/housenumbers/train_32x32.mat",
        "train_32x32.mat",
        "e26dedcc434d2e4c54c9b2d4a06d8373",
        "f62eb5d7ddfbd39e00116ae62a133866",
    ),
    "test": (
        "http://ufldl.stanford.edu/housenumbers/test_32x32.mat",
        "test_32x32.mat",
        "eb5a983be6a315427106f1b164d9cef3",
        "e08feb21d94b73753f534c6298c764c5",
    ),
}


def _svhn_split(split: str) -> tuple[FileSpec, ...]:
    url, name, md5, fx = _SVHN_FILES[split]
    return (FileSpec(role="mat", candidates=(Candidate(name, md5, fx),), urls=(url,), download_as=name),)


# --- STL-10 ----------------------------------------------------------------------------------------
STL10_ARCHIVE = ArchiveSpec(
    "stl10_binary.tar.gz",
    "http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz",
    "91f7769df0f17e558f3565bffb0c7dfb",
)
STL10_CLASSES = ("airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck")
_STL_FILES = {
    "train_X.bin": ("918c2871b30a85fa023e0c44e0bee87f", "cfa5e720bc906fdbabd67385580a8dbf"),
    "train_y.bin": ("5a34089d4802c674881badbb80307741", "b44a6274f8b4cba35b9b1191d02db789"),
    "test_X.bin": ("7f263ba9f9e0b06b93213547f721ac82", "21850a2bd0fbebc43693b58b18e438af"),
    "test_y.bin": ("36f9794fa4beb8a2c72628de14fa638e", "f24d46b9acc9307380938b1095fb2d80"),
}

# --- MedMNIST (28x28) ------------------------------------------------------------------------------
MEDMNIST_RECORD = "https://zenodo.org/records/10519652/files/"
CHEST_CLASSES = (
    "atelectasis",
    "cardiomegaly",
    "effusion",
    "infiltration",
    "mass",
    "nodule",
    "pneumonia",
    "pneumothorax",
    "consolidation",
    "edema",
    "emphysema",
    "fibrosis",
    "pleural",
    "hernia",
)
PATH_CLASSES = (
    "adipose",
    "background",
    "debris",
    "lymphocytes",
    "mucus",
    "smooth muscle",
    "normal colon mucosa",
    "cancer-associated stroma",
    "colorectal adenocarcinoma epithelium",
)


def _medmnist_file(flag: str, md5: str, fixture_md5: str) -> FileSpec:
    name = f"{flag}.npz"
    return FileSpec(
        role="npz",
        candidates=(Candidate(name, md5, fixture_md5),),
        urls=(f"{MEDMNIST_RECORD}{name}?download=1",),
        download_as=name,
    )


_CHEST_NPZ = _medmnist_file("chestmnist", "02c8a6516a18b556561a56cbdd36c4a8", "dc4486c4cd297ddac6c84be4f6dc596f")
_PATH_NPZ = _medmnist_file("pathmnist", "a8b06965200029087d5bd730944a56c1", "dc02ed93d82cd51174072ad1e9619611")


def _build() -> dict[str, DatasetSpec]:
    specs = [
        DatasetSpec(
            "mnist",
            "idx",
            MNIST_CLASSES,
            _ro(_idx_splits("MNIST", _MNIST_FILES, MNIST_MIRRORS)),
            _ro({"train": 60000, "test": 10000}),
            (28, 28),
        ),
        DatasetSpec(
            "fashion_mnist",
            "idx",
            FASHION_CLASSES,
            _ro(_idx_splits("FashionMNIST", _FASHION_FILES, FASHION_MIRRORS)),
            _ro({"train": 60000, "test": 10000}),
            (28, 28),
        ),
        DatasetSpec(
            "emnist_balanced",
            "emnist_zip",
            EMNIST_BALANCED_CLASSES,
            _ro({"train": (EMNIST_ZIP,), "test": (EMNIST_ZIP,)}),
            _ro({"train": 112800, "test": 18800}),
            (28, 28),
            note="images are stored transposed in the raw files; the loader transposes them upright "
            "(torchvision's EMNIST returns them as stored)",
        ),
        DatasetSpec(
            "cifar10",
            "cifar",
            CIFAR10_CLASSES,
            _ro(
                {
                    "train": tuple(_cifar_file(_C10, _CIFAR10_FILES, f"data_batch_{i}") for i in range(1, 6))
                    + (_cifar_file(_C10, _CIFAR10_FILES, "batches.meta", "meta"),),
                    "test": (
                        _cifar_file(_C10, _CIFAR10_FILES, "test_batch"),
                        _cifar_file(_C10, _CIFAR10_FILES, "batches.meta", "meta"),
                    ),
                }
            ),
            _ro({"train": 50000, "test": 10000}),
            (3, 32, 32),
            archive=CIFAR10_ARCHIVE,
        ),
        DatasetSpec(
            "cifar100",
            "cifar",
            tuple(CIFAR100_FINE),
            _ro(
                {
                    "train": (
                        _cifar_file(_C100, _CIFAR100_FILES, "train"),
                        _cifar_file(_C100, _CIFAR100_FILES, "meta"),
                    ),
                    "test": (_cifar_file(_C100, _CIFAR100_FILES, "test"), _cifar_file(_C100, _CIFAR100_FILES, "meta")),
                }
            ),
            _ro({"train": 50000, "test": 10000}),
            (3, 32, 32),
            archive=CIFAR100_ARCHIVE,
            note="targets are the fine labels; coarse labels are kept in extras['coarse_targets']",
        ),
        DatasetSpec(
            "svhn",
            "svhn",
            tuple(str(d) for d in range(10)),
            _ro({"train": _svhn_split("train"), "test": _svhn_split("test")}),
            _ro({"train": 73257, "test": 26032}),
            (3, 32, 32),
            note="label 10 in the .mat files means digit 0",
        ),
        DatasetSpec(
            "stl10",
            "stl10",
            STL10_CLASSES,
            _ro(
                {
                    split: tuple(
                        FileSpec(
                            role=kind,
                            candidates=(
                                Candidate(f"stl10_binary/{split}_{suffix}.bin", *_STL_FILES[f"{split}_{suffix}.bin"]),
                            ),
                        )
                        for kind, suffix in (("images", "X"), ("labels", "y"))
                    )
                    for split in ("train", "test")
                }
            ),
            _ro({"train": 5000, "test": 8000}),
            (3, 96, 96),
            archive=STL10_ARCHIVE,
            note="labelled splits only (the 100,000 unlabelled images are not loaded)",
        ),
        DatasetSpec(
            "chestmnist",
            "medmnist",
            CHEST_CLASSES,
            _ro({s: (_CHEST_NPZ,) for s in ("train", "val", "test")}),
            _ro({"train": 78468, "val": 11219, "test": 22433}),
            (28, 28),
            multilabel=True,
            note="multi-label: targets are (N, 14) binary",
        ),
        DatasetSpec(
            "pathmnist",
            "medmnist",
            PATH_CLASSES,
            _ro({s: (_PATH_NPZ,) for s in ("train", "val", "test")}),
            _ro({"train": 89996, "val": 10004, "test": 7180}),
            (3, 28, 28),
        ),
    ]
    out = {}
    for s in specs:
        object.__setattr__(s, "fixture_sizes", _ro(_fixture_sizes(tuple(s.splits), len(s.classes))))
        out[s.name] = s
    return out


DATASETS: Mapping[str, DatasetSpec] = _ro(_build())


def get_spec(dataset: str) -> DatasetSpec:
    check_choice("dataset", dataset, DATASETS)
    return DATASETS[dataset]
