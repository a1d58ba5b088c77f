"""A GRU classifier with dropout between layers and a fully connected head."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(4)
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')


class GRUNet(nn.Module):
    def __init__(self, input_dim, hidden_dim, output_dim, n_layers, drop_prob=0.2):
        super(GRUNet, self).__init__()
        self.hidden_dim = hidden_dim
        self.n_layers = n_layers

        self.gru = nn.GRU(input_dim, hidden_dim, n_layers, batch_first=True, dropout=drop_prob)
        self.fc = nn.Linear(hidden_dim, output_dim)
        self.relu = nn.ReLU()

    def forward(self, x, h):
        out, h = self.gru(x, h)
        out = self.fc(self.relu(out[:, -1]))
        return out, h

    def init_hidden(self, batch_size):
        weight = next(self.parameters()).data
        hidden = weight.new(self.n_layers, batch_size, self.hidden_dim).zero_().to(device)
        return hidden


model = GRUNet(input_dim=6, hidden_dim=12, output_dim=3, n_layers=2)
model.to(device)
print(model)

x = torch.randn(32, 7, 6)
y = torch.randint(0, 3, (32,))
optimizer = torch.optim.RMSprop(model.parameters(), lr=0.005)

model.train()
for epoch in range(1, 11):
    h = model.init_hidden(x.size(0))
    optimizer.zero_grad()
    out, h = model(x.to(device), h)
    loss = F.cross_entropy(out, y.to(device))
    loss.backward()
    optimizer.step()
    if epoch % 5 == 0:
        print("Epoch {}......Loss: {:.4f}".format(epoch, loss.item()))

model.eval()
with torch.no_grad():
    out, h = model(torch.randn(5, 10, 6), model.init_hidden(5))
print(out.shape, h.shape)
print(out.device, h.device == torch.device('cpu'))
