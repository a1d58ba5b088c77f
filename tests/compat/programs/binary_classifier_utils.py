"""A binary classifier with the usual training utilities: a seed-everything helper, a custom
Dataset, random_split, weight init through model.apply, BCEWithLogitsLoss, ReduceLROnPlateau,
keeping the best weights with copy.deepcopy and reloading them with map_location."""
import copy
import random

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, Dataset, random_split


def seed_everything(seed=42):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


seed_everything(11)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class CirclesDataset(Dataset):
    """Points inside (label 1) or outside (label 0) a circle of radius 1."""

    def __init__(self, n):
        self.x = np.random.uniform(-1.5, 1.5, size=(n, 2)).astype(np.float32)
        self.y = (np.sqrt((self.x ** 2).sum(1)) < 1.0).astype(np.float32)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, idx):
        return torch.tensor(self.x[idx]), torch.tensor(self.y[idx])


dataset = CirclesDataset(400)
train_set, val_set = random_split(dataset, [320, 80])
print(len(train_set), len(val_set))
train_loader = DataLoader(train_set, batch_size=32, shuffle=True)
val_loader = DataLoader(val_set, batch_size=80, shuffle=False)


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.kaiming_normal_(m.weight, nonlinearity='relu')
        nn.init.zeros_(m.bias)


model = nn.Sequential(
    nn.Linear(2, 32),
    nn.ReLU(),
    nn.Linear(32, 32),
    nn.Tanh(),
    nn.Linear(32, 1),
).to(device)
model.apply(init_weights)
print(model)
linears = [m for m in model if isinstance(m, nn.Linear)]
print(f"bias zero after init: {all(m.bias.abs().sum().item() == 0 for m in linears)}")

criterion = nn.BCEWithLogitsLoss()
optimizer = optim.AdamW(model.parameters(), lr=0.02, weight_decay=1e-4)
scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode='min', factor=0.5, patience=1)

best_loss = float('inf')
best_state = None
history = []
for epoch in range(12):
    model.train()
    running_loss = 0.0
    for xb, yb in train_loader:
        xb, yb = xb.to(device), yb.to(device)
        optimizer.zero_grad()
        logits = model(xb).squeeze(1)
        loss = criterion(logits, yb)
        loss.backward()
        optimizer.step()
        running_loss += loss.item() * xb.size(0)
    train_loss = running_loss / len(train_loader.dataset)

    model.eval()
    with torch.no_grad():
        xb, yb = next(iter(val_loader))
        logits = model(xb.to(device)).squeeze(1)
        val_loss = criterion(logits, yb.to(device)).item()
        preds = (torch.sigmoid(logits) > 0.5).float()
        val_acc = (preds == yb).float().mean().item()
    scheduler.step(val_loss)
    history.append((train_loss, val_loss, val_acc))
    if val_loss < best_loss:
        best_loss = val_loss
        best_state = copy.deepcopy(model.state_dict())
    if epoch % 4 == 3:
        print(f"epoch {epoch + 1:2d} | train {train_loss:.4f} | val {val_loss:.4f} | "
              f"acc {val_acc:.3f} | lr {optimizer.param_groups[0]['lr']:.4f}")

torch.save(best_state, "best.pt")
model.load_state_dict(torch.load("best.pt", map_location=device, weights_only=True))
model.eval()
with torch.no_grad():
    xb, yb = next(iter(val_loader))
    best_val = criterion(model(xb).squeeze(1), yb).item()
print(f"best val loss restored: {abs(best_val - best_loss) < 1e-6}")
