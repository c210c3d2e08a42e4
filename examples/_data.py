"""The examples' data options, defined once so that every example takes the same flags:

    --data DIR    the folder with the four IDX files (default: $MINIGRAD_DATA, else the cache
                  folder); MNIST is checksummed, downloaded if missing, and replaced by the
                  bundled sample (with a notice) when it cannot be had
    --any-idx     the folder holds another data set in MNIST's file layout (Fashion-MNIST,
                  KMNIST, your own: any image size, any number of classes), read without MNIST's
                  checksums by `minigrad.datasets.load_idx`; the networks size their input and
                  output layers from it
    --sample      the bundled MNIST sample
"""

from __future__ import annotations

from minigrad.datasets import VAL_RULE, IDXError, load_idx, load_mnist_or_sample, load_mnist_sample


def add_data_args(parser) -> None:
    parser.add_argument("--data", default=None, metavar="DIR",
                        help="folder with the four IDX files (default: $MINIGRAD_DATA, else the cache "
                        "folder; MNIST is downloaded if missing)")
    parser.add_argument("--any-idx", action="store_true",
                        help="the folder holds another data set in MNIST's file layout (Fashion-MNIST, "
                        "KMNIST, your own; any image size and number of classes): read it without "
                        "MNIST's checksums and size the network from it")
    parser.add_argument("--sample", action="store_true",
                        help="use the bundled MNIST sample (15,000 training images)")


def load_data(args, progress: bool = True):
    """The data the flags ask for. For --any-idx it prints how the training file was split.
    A file that is missing or not what it should be ends the example with the loader's message
    (which says what to do), not a traceback."""
    if args.any_idx and args.sample:
        raise SystemExit("error: --any-idx reads the folder of --data, --sample is the bundled MNIST "
                         "sample: choose one")
    try:
        if not args.any_idx:
            return load_mnist_sample() if args.sample else load_mnist_or_sample(args.data, progress=progress)
        data = load_idx(args.data)
    except (IDXError, FileNotFoundError) as e:
        raise SystemExit(f"error: {e}") from None
    n = len(data.train_labels) + len(data.val_labels)
    print(f"{data.name}: the validation set is the first {len(data.val_labels):,} of the {n:,} training "
          f"images ({VAL_RULE})", flush=True)
    return data
