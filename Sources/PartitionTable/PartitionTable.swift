public enum PartitionTable {}
