"""A bidirectional, two-layer LSTM: sequence classification from both directions' states."""
import torch
import torch.nn as nn

torch.manual_seed(6)
device = torch.device('cpu')


class BiRNN(nn.Module):
    def __init__(self, input_size, hidden_size, num_layers, num_classes):
        super(BiRNN, self).__init__()
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True,
                            bidirectional=True)
        self.fc = nn.Linear(hidden_size * 2, num_classes)  # 2 for bidirection

    def forward(self, x):
        # Set initial states
        h0 = torch.zeros(self.num_layers * 2, x.size(0), self.hidden_size).to(device)
        c0 = torch.zeros(self.num_layers * 2, x.size(0), self.hidden_size).to(device)

        # Forward propagate LSTM
        out, (hn, cn) = self.lstm(x, (h0, c0))  # out: (batch_size, seq_length, hidden_size*2)
        self.last_states = (hn, cn)

        # Decode the hidden state of the last time step
        out = self.fc(out[:, -1, :])
        return out


model = BiRNN(input_size=5, hidden_size=8, num_layers=2, num_classes=2).to(device)
for name, param in model.named_parameters():
    print(name, tuple(param.shape))
print(sum(p.numel() for p in model.parameters() if p.requires_grad))

output = model(torch.randn(4, 9, 5))
print(output.shape)
print(model.last_states[0].shape, model.last_states[1].shape)

# Does the sequence contain more positive than negative first features? (needs both directions)
x = torch.randn(48, 9, 5)
y = (x[:, :, 0] > 0).sum(1).gt(4).long()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
criterion = nn.CrossEntropyLoss()
for _ in range(10):
    loss = criterion(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print('final loss: {:.4f}'.format(loss.item()))
