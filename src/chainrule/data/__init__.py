"""chainrule.data: ``torch.utils.data``'s datasets, samplers and DataLoader, torchvision-style
transforms, and the MNIST family (``MNIST``, ``FashionMNIST`` from IDX files; ``MNISTSample``
shipped inside the package).

    from chainrule.data import DataLoader, TensorDataset, MNISTSample
    loader = DataLoader(TensorDataset(*MNISTSample().as_tensors()), batch_size=64, shuffle=True)
"""
from . import transforms
from .dataset import (Dataset, IterableDataset, TensorDataset, Subset, ConcatDataset,
                      random_split)
from .dataloader import (DataLoader, Sampler, SequentialSampler, RandomSampler,
                         SubsetRandomSampler, BatchSampler, default_collate, default_convert)
from .mnist import MNIST, FashionMNIST, MNISTSample, read_idx

__all__ = ["transforms", "Dataset", "IterableDataset", "TensorDataset", "Subset",
           "ConcatDataset", "random_split", "DataLoader", "Sampler", "SequentialSampler",
           "RandomSampler", "SubsetRandomSampler", "BatchSampler", "default_collate",
           "default_convert", "MNIST", "FashionMNIST", "MNISTSample", "read_idx"]
