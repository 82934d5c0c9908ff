"""trendsum.queue"""
