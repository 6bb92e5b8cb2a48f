"""pytorch/examples' mnist/main.py and vae/main.py, run on the mnist-5k split.

They set the time budgets of the acceptance checks: our cnn must beat the classifier's
3-epoch accuracy within twice its wall time, our vae its 3-epoch test loss within its time.
Prints `name=value` pairs on the last line.

    python benchmarks/reference_examples.py [--epochs 3]
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset

from models.data import load_mnist_5k


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
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def vae_loss(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def loaders(batch_size: int, normalise: bool):
    data = load_mnist_5k()
    train = data.train_images.float() / 255
    test = data.test_images.float() / 255
    if normalise:
        train, test = (train - 0.1307) / 0.3081, (test - 0.1307) / 0.3081
    train_loader = DataLoader(TensorDataset(train, data.train_labels), batch_size, shuffle=True)
    test_loader = DataLoader(TensorDataset(test, data.test_labels), 1000)
    return train_loader, test_loader


def run_classifier(epochs: int) -> tuple[float, float]:
    torch.manual_seed(1)
    train_loader, test_loader = loaders(64, normalise=True)
    model = ExampleNet()
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        for data, target in train_loader:
            optimizer.zero_grad()
            F.nll_loss(model(data), target).backward()
            optimizer.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for data, target in test_loader:
                correct += model(data).argmax(1).eq(target).sum().item()
        scheduler.step()
    return time.perf_counter() - start, correct / len(test_loader.dataset)


def run_vae(epochs: int) -> tuple[float, float]:
    torch.manual_seed(1)
    train_loader, test_loader = loaders(128, normalise=False)
    model = ExampleVAE()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        for data, _ in train_loader:
            optimizer.zero_grad()
            recon, mu, logvar = model(data)
            vae_loss(recon, data, mu, logvar).backward()
            optimizer.step()
        model.eval()
        total = 0.0
        with torch.no_grad():
            for data, _ in test_loader:
                recon, mu, logvar = model(data)
                total += vae_loss(recon, data, mu, logvar).item()
    return time.perf_counter() - start, total / len(test_loader.dataset)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    cnn_seconds, cnn_accuracy = run_classifier(args.epochs)
    print(
        f"mnist/main.py: {args.epochs} epochs in {cnn_seconds:.1f} s, accuracy {cnn_accuracy:.4f}",
        flush=True,
    )
    vae_seconds, vae_loss_value = run_vae(args.epochs)
    print(
        f"vae/main.py: {args.epochs} epochs in {vae_seconds:.1f} s, test loss {vae_loss_value:.1f}"
    )
    print(
        f"cnn_seconds={cnn_seconds:.2f} cnn_accuracy={cnn_accuracy:.4f} "
        f"vae_seconds={vae_seconds:.2f} vae_test_loss={vae_loss_value:.2f}"
    )


if __name__ == "__main__":
    main()
