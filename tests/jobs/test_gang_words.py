from gpuforge.jobs.gang_words import gang_words


def test_counts_take_the_right_number():
    assert gang_words(1, 1) == "1 node x 1 GPU"  # not "1 x 1 GPUs"
    assert gang_words(2, 8) == "2 nodes x 8 GPUs"
    assert gang_words(None, 4) == "? nodes x 4 GPUs"
    assert gang_words(1, 2, unit="Neuron device") == "1 node x 2 Neuron devices"
