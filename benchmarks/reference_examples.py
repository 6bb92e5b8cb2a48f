"""pytorch/examples' mnist/main.py and vae/main.py, run on the mnist-5k split.

They set the time budgets of the acceptance checks: our cnn must beat the classifier's
3-epoch accuracy within twice its wall time, our vae its 3-epoch test loss within its time.
The data path is the examples' own: a Dataset that turns each uint8 image into a PIL image
and through the same transforms (ToTensor, plus Normalize for the classifier), a DataLoader
with their batch sizes, and for the VAE the sample and reconstruction PNGs it writes each
epoch. Prints the seconds of the epoch loops; `benchmarks/acceptance_times.py` also times
this script's whole process. Prints `name=value` pairs on the last line.

    python benchmarks/reference_examples.py [--epochs 3] [--kinds cnn,vae]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn, optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms
from torchvision.utils import save_image

from models.data.datasets import load_mnist_5k


class ExampleNet(nn.Module):
    """mnist/main.py's Net, unchanged."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return F.log_softmax(self.fc2(x), dim=1)


class ExampleVAE(nn.Module):
    """vae/main.py's VAE, unchanged."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def forward(self, x):
        h1 = F.relu(self.fc1(x.view(-1, 784)))
        mu, logvar = self.fc21(h1), self.fc22(h1)
        z = mu + torch.randn_like(logvar) * torch.exp(0.5 * logvar)
        return self.decode(z), mu, logvar

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))


def vae_loss(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


class SplitMNIST(Dataset):
    """torchvision's MNIST on one half of the mnist-5k split: PIL image, then the transform."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform):
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        image = Image.fromarray(self.images[index].reshape(28, 28).numpy(), mode="L")
        return self.transform(image), int(self.labels[index])


def loaders(batch_size: int, test_batch_size: int, normalise: bool):
    steps = [transforms.ToTensor()]
    if normalise:
        steps.append(transforms.Normalize((0.1307,), (0.3081,)))
    transform = transforms.Compose(steps)
    data = load_mnist_5k()
    train = SplitMNIST(data.train_images, data.train_labels, transform)
    test = SplitMNIST(data.test_images, data.test_labels, transform)
    # mnist/main.py shuffles only with CUDA; the split here is sorted by class, so unshuffled
    # batches would hold one digit each. Shuffling costs no measurable time.
    return (DataLoader(train, batch_size, shuffle=True),
            DataLoader(test, test_batch_size, shuffle=False))  # fmt: skip


def run_classifier(epochs: int) -> tuple[float, float]:
    torch.manual_seed(1)
    train_loader, test_loader = loaders(64, 1000, normalise=True)
    model = ExampleNet()
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        for batch_index, (data, target) in enumerate(train_loader):
            optimizer.zero_grad()
            loss = F.nll_loss(model(data), target)
            loss.backward()
            optimizer.step()
            if batch_index % 10 == 0:  # the example prints the loss every 10 batches
                loss.item()
        model.eval()
        correct = 0
        with torch.no_grad():
            for data, target in test_loader:
                output = model(data)
                F.nll_loss(output, target, reduction="sum").item()
                correct += output.argmax(1).eq(target).sum().item()
        scheduler.step()
    return time.perf_counter() - start, correct / len(test_loader.dataset)


def run_vae(epochs: int) -> tuple[float, float]:
    torch.manual_seed(1)
    train_loader, test_loader = loaders(128, 128, normalise=False)
    model = ExampleVAE()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    with tempfile.TemporaryDirectory(prefix="vae-example-") as folder:
        results = Path(folder)
        start = time.perf_counter()
        for epoch in range(1, epochs + 1):
            model.train()
            train_loss = 0.0
            for data, _ in train_loader:
                optimizer.zero_grad()
                recon, mu, logvar = model(data)
                loss = vae_loss(recon, data, mu, logvar)
                loss.backward()
                train_loss += loss.item()  # the example sums every step's loss for its report
                optimizer.step()
            model.eval()
            total = 0.0
            with torch.no_grad():
                for i, (data, _) in enumerate(test_loader):
                    recon, mu, logvar = model(data)
                    total += vae_loss(recon, data, mu, logvar).item()
                    if i == 0:  # the example saves 8 originals above their reconstructions
                        comparison = torch.cat([data[:8], recon.view(-1, 1, 28, 28)[:8]])
                        save_image(comparison, results / f"reconstruction_{epoch}.png", nrow=8)
                sample = model.decode(torch.randn(64, 20))
                save_image(sample.view(64, 1, 28, 28), results / f"sample_{epoch}.png")
        return time.perf_counter() - start, total / len(test_loader.dataset)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--kinds", default="cnn,vae", help="cnn, vae or both")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    figures = {}
    if "cnn" in kinds:
        seconds, accuracy = run_classifier(args.epochs)
        print(f"mnist/main.py: {args.epochs} epochs in {seconds:.1f} s, accuracy {accuracy:.4f}",
              flush=True)  # fmt: skip
        figures.update(cnn_seconds=f"{seconds:.2f}", cnn_accuracy=f"{accuracy:.4f}")
    if "vae" in kinds:
        seconds, loss = run_vae(args.epochs)
        print(f"vae/main.py: {args.epochs} epochs in {seconds:.2f} s, test loss {loss:.1f}",
              flush=True)  # fmt: skip
        figures.update(vae_seconds=f"{seconds:.2f}", vae_test_loss=f"{loss:.2f}")
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
