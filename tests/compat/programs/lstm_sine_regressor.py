"""Seq2one LSTM regression: predict the next value of a sine wave from the last 12 samples."""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(5)
np.random.seed(5)


class LSTMRegressor(nn.Module):
    def __init__(self, input_size=1, hidden_size=16, num_layers=1, output_size=1):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True)
        self.linear = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        out, (hn, cn) = self.lstm(x)
        return self.linear(out[:, -1, :])


# Windows of a sine wave with random phases and frequencies.
seq_len = 12
phases = np.random.uniform(0, 2 * math.pi, size=(64, 1))
freqs = np.random.uniform(0.3, 0.6, size=(64, 1))
t = np.arange(seq_len + 1)[None, :]
waves = np.sin(freqs * t + phases).astype(np.float32)
X = torch.from_numpy(waves[:, :seq_len]).unsqueeze(-1)   # (64, 12, 1)
y = torch.tensor(waves[:, seq_len:])                      # (64, 1)
print(X.shape, y.shape)

model = LSTMRegressor()
criterion = nn.MSELoss()
optimizer = optim.Adam(model.parameters(), lr=0.02)

losses = []
for epoch in range(40):
    model.train()
    optimizer.zero_grad()
    pred = model(X)
    loss = criterion(pred, y)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    if epoch % 10 == 0:
        print(f"epoch {epoch:3d}  loss {loss.item():.5f}")

model.eval()
with torch.no_grad():
    final_loss = criterion(model(X), y).item()
print(f"first loss {losses[0]:.5f}, final loss {final_loss:.5f}")
