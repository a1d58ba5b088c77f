"""A many-to-one RNN classifier (nn.RNN, batch_first=True) as the recurrent tutorials write it."""
import torch
import torch.nn as nn

torch.manual_seed(2)
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

# Hyper-parameters
sequence_length = 10
input_size = 10
hidden_size = 16
num_layers = 2
num_classes = 3
learning_rate = 0.01


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, num_layers, num_classes):
        super(RNN, self).__init__()
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.rnn = nn.RNN(input_size, hidden_size, num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        # Set initial hidden states
        h0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size).to(device)

        # Forward propagate RNN
        out, _ = self.rnn(x, h0)  # out: tensor of shape (batch_size, seq_length, hidden_size)

        # Decode the hidden state of the last time step
        out = self.fc(out[:, -1, :])
        return out


model = RNN(input_size, hidden_size, num_layers, num_classes).to(device)
output = model(torch.randn(5, 10, 10))
print(output.shape)

# The class is the sign pattern of the sequence's mean: a task a few steps can start to learn.
x_train = torch.randn(64, sequence_length, input_size)
y_train = (x_train.mean(dim=(1, 2)) > 0).long() + (x_train[:, :, 0].mean(1) > 0.3).long()

criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
losses = []
for step in range(15):
    outputs = model(x_train.to(device))
    loss = criterion(outputs, y_train.to(device))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    if (step + 1) % 5 == 0:
        print('Step [{}/{}], Loss: {:.4f}'.format(step + 1, 15, loss.item()))

model.eval()
with torch.no_grad():
    predicted = model(x_train).argmax(1)
    print('predicted shape:', predicted.shape, predicted.dtype)
