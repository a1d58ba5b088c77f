"""A training loop with a learning-rate scheduler, validation under torch.no_grad() and
model.train()/model.eval() switching (dropout and batch norm behave differently)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(7)


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.fc1 = nn.Linear(10, 32)
        self.bn1 = nn.BatchNorm1d(32)
        self.dropout1 = nn.Dropout(0.25)
        self.fc2 = nn.Linear(32, 3)

    def forward(self, x):
        x = self.fc1(x)
        x = F.relu(self.bn1(x))
        x = self.dropout1(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def train(model, device, train_loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % 4 == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()  # sum up batch loss
            pred = output.argmax(dim=1, keepdim=True)  # index of the max log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()

    test_loss /= len(test_loader.dataset)
    print('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
        test_loss, correct, len(test_loader.dataset),
        100. * correct / len(test_loader.dataset)))
    return test_loss


use_cuda = torch.cuda.is_available()
device = torch.device("cuda" if use_cuda else "cpu")

w_true = torch.randn(10, 3)
X = torch.randn(320, 10)
Y = (X @ w_true).argmax(1)
train_loader = DataLoader(TensorDataset(X[:256], Y[:256]), batch_size=32, shuffle=True)
test_loader = DataLoader(TensorDataset(X[256:], Y[256:]), batch_size=64)

model = Net().to(device)
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
scheduler = StepLR(optimizer, step_size=1, gamma=0.5)

test_losses = [test(model, device, test_loader)]
lrs = []
for epoch in range(1, 4):
    train(model, device, train_loader, optimizer, epoch)
    test_losses.append(test(model, device, test_loader))
    scheduler.step()
    lrs.append(optimizer.param_groups[0]['lr'])
    print('lr after epoch {}: {}'.format(epoch, scheduler.get_last_lr()[0]))
print(lrs)
